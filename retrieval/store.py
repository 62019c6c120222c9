"""Engine, sessions, migrations and keyword-only queries of the product store."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, delete, event, select, update
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from retrieval.errors import StoreUnavailableError
from retrieval.models import ProductRow
from shop.migrations import upgrade_head
from shop.sqlite import tune_sqlite_connection

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
CONTENT_FIELDS = (
    "product_id", "title", "product_type", "category", "colour", "gender", "brand", "price",
    "currency", "season", "usage", "sizes", "description", "attributes", "image_url",
)


def make_engine(url: str) -> Engine:
    """Create an engine; for SQLite make sure the folder exists and is writable first."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        path = Path(url.removeprefix("sqlite:///"))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnavailableError(
                f"Cannot create the database folder {path.parent}: {exc}. "
                "Set SHOP_VAR_DIR or SHOP_DATABASE_URL to a writable location."
            ) from exc
    if url.startswith("sqlite"):
        engine = create_engine(url, future=True)
        if url != "sqlite:///:memory:":
            event.listen(engine, "connect", tune_sqlite_connection)  # write-ahead log (shop/sqlite.py)
        return engine
    # A server database may restart under us: test pooled connections before use instead of failing a request.
    return create_engine(url, future=True, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Apply every Alembic migration (``upgrade head``); safe to call on each ingestion."""
    try:
        upgrade_head(engine, MIGRATIONS_DIR)
    except (OperationalError, ProgrammingError) as exc:
        raise StoreUnavailableError(
            f"Cannot migrate the database at {engine.url.render_as_string(hide_password=True)}: "
            f"{exc.orig}. Check that it is reachable and writable (SHOP_DATABASE_URL)."
        ) from exc


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = sessionmaker(engine, expire_on_commit=False)()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def content_hash(record: dict[str, Any]) -> str:
    """Stable hash of a product's content: equal hashes mean nothing to re-embed or update."""
    parts = [repr(record.get(name)) if name != "attributes" else repr(sorted((record.get(name) or {}).items()))
             for name in CONTENT_FIELDS]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def existing_hashes(session: Session, *, catalog: str) -> dict[str, tuple[int, str]]:
    """product_id -> (row_id, content_hash) of a catalog, to diff a new ingestion against."""
    rows = session.execute(
        select(ProductRow.product_id, ProductRow.row_id, ProductRow.content_hash).where(ProductRow.catalog == catalog)
    )
    return {pid: (rid, h) for pid, rid, h in rows}


def insert_products(session: Session, *, catalog: str, records: Sequence[dict[str, Any]]) -> list[int]:
    """Insert new products and return their row ids (in the order of ``records``)."""
    rows = [ProductRow(catalog=catalog, **record) for record in records]
    session.add_all(rows)
    session.flush()
    return [row.row_id for row in rows]


def update_products(session: Session, *, updates: Sequence[tuple[int, dict[str, Any]]]) -> None:
    """Overwrite changed products in place, keeping their row ids (and so their index ids)."""
    for row_id, record in updates:
        session.execute(update(ProductRow).where(ProductRow.row_id == row_id).values(**record))


def delete_products(session: Session, *, row_ids: Iterable[int]) -> None:
    """Remove products that disappeared from the catalog."""
    ids = list(row_ids)
    for start in range(0, len(ids), 1000):
        session.execute(delete(ProductRow).where(ProductRow.row_id.in_(ids[start:start + 1000])))


def catalog_rows(session: Session, *, catalog: str) -> list[ProductRow]:
    """Every product of a catalog ordered by row id (what the retriever loads into memory)."""
    return list(session.scalars(select(ProductRow).where(ProductRow.catalog == catalog).order_by(ProductRow.row_id)))


def catalog_fingerprint(session: Session, *, catalog: str) -> tuple[str, int]:
    """SHA-256 over (row_id, content_hash) of a catalog and its size: identifies what the index must hold."""
    rows = session.execute(
        select(ProductRow.row_id, ProductRow.content_hash)
        .where(ProductRow.catalog == catalog)
        .order_by(ProductRow.row_id)
    )
    return fingerprint_of(rows)


def fingerprint_of(pairs: Iterable[tuple[int, str]]) -> tuple[str, int]:
    """Digest and count of (row_id, content_hash) pairs in row-id order."""
    digest = hashlib.sha256()
    count = 0
    for row_id, chash in pairs:
        digest.update(f"{row_id}:{chash}\n".encode())
        count += 1
    return digest.hexdigest(), count


def catalog_names(session: Session) -> list[str]:
    """Names of the catalogs stored in the database."""
    return sorted(session.scalars(select(ProductRow.catalog).distinct()))
