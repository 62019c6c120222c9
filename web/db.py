"""Engine, migrations and sessions of the web app's tables (same database as the product store)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from handoff.db import migrate as migrate_handoffs
from retrieval.store import make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def open_engine(url: str) -> Engine:
    """Create the engine and bring the console and handoff tables up to date."""
    engine = make_engine(url)  # SQLite: write-ahead log and a busy timeout (retrieval/store.py)
    migrate(engine)
    migrate_handoffs(engine)
    return engine


def migrate(engine: Engine) -> None:
    """``alembic upgrade head`` for the console tables (idempotent; own version table)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


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
