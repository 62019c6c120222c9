"""Engine, migrations and sessions of the web app's tables (same database as the product store)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from handoff.db import migrate as migrate_handoffs
from retrieval.store import make_engine
from review.db import migrate as migrate_review
from shop.migrations import upgrade_head

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def open_engine(url: str) -> Engine:
    """Create the engine and bring the console, handoff and review tables up to date."""
    engine = make_engine(url)  # SQLite: write-ahead log and a busy timeout (retrieval/store.py)
    migrate(engine)
    migrate_handoffs(engine)
    migrate_review(engine)
    return engine


def migrate(engine: Engine) -> None:
    """``alembic upgrade head`` for the console tables (idempotent; own version table)."""
    upgrade_head(engine, MIGRATIONS_DIR)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()
