"""An in-memory, read-only copy of one catalog, loaded from the store when a Retriever opens."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import inspect

from retrieval.errors import IndexMissingError
from retrieval.models import ProductRow
from retrieval.store import catalog_rows, fingerprint_of, make_engine, session_scope
from retrieval.types import Product


@dataclass(frozen=True)
class Snapshot:
    """Products in ascending ``row_id`` order (position i <-> ``row_ids[i]``) and their fingerprint."""

    catalog: str
    products: list[Product]
    row_ids: np.ndarray
    fingerprint: str

    @staticmethod
    def lexical_text(product: Product) -> str:
        """What BM25 matches: title, category path, structured attributes and textual free attributes."""
        parts = [product.title, product.category, product.product_type, product.colour, product.gender,
                 product.brand, product.usage, product.season]
        parts += [str(v) for v in product.attributes.values() if isinstance(v, str) and any(c.isalpha() for c in v)]
        return " ".join(p for p in parts if p)


def to_product(row: ProductRow) -> Product:
    """Convert an ORM row into the immutable API type."""
    return Product(
        id=row.product_id, title=row.title, product_type=row.product_type, category=row.category,
        colour=row.colour, gender=row.gender, brand=row.brand, price=row.price, currency=row.currency,
        season=row.season, usage=row.usage, sizes=tuple(row.sizes.split("|")) if row.sizes else (),
        description=row.description, attributes=dict(row.attributes or {}), image_url=row.image_url,
    )


def load_snapshot(url: str, *, catalog: str) -> Snapshot:
    """Read every product of ``catalog``; a clear error when nothing was ingested yet."""
    engine = make_engine(url)
    if not inspect(engine).has_table("products"):
        raise IndexMissingError(f"The database {engine.url.render_as_string(hide_password=True)} has no products yet; "
                                "run `python -m retrieval ingest` first.")
    with session_scope(engine) as session:
        rows = catalog_rows(session, catalog=catalog)
    if not rows:
        raise IndexMissingError(f"Catalog {catalog!r} has no products in the database; run `python -m retrieval ingest`.")
    fingerprint, _ = fingerprint_of((r.row_id, r.content_hash) for r in rows)
    engine.dispose()
    return Snapshot(catalog=catalog, products=[to_product(r) for r in rows],
                    row_ids=np.asarray([r.row_id for r in rows], dtype=np.int64), fingerprint=fingerprint)
