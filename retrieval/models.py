"""SQLAlchemy 2 typed models of the product store.

The schema is owned by the Alembic migrations in ``retrieval/migrations``; these classes mirror it
for typed queries. Feedback tables belong to a later migration and are not declared here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base shared by every table of the store (one metadata for Alembic)."""


class ProductRow(Base):
    """One product of one catalog; its ``row_id`` is also its id inside the FAISS index."""

    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("catalog", "product_id", name="uq_products_catalog_product_id"),
        Index("ix_products_catalog", "catalog"),
    )

    row_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    """Surrogate key; stable across re-ingestion so the vector index can add/remove by it."""
    catalog: Mapped[str] = mapped_column(String(64))
    """Name of the catalog (from its mapping): several catalogs may share one database."""
    product_id: Mapped[str] = mapped_column(String(128))
    """The id the catalog itself uses; what customers and actions refer to."""
    title: Mapped[str] = mapped_column(Text)
    """Display name; the main text for both the embedding and BM25."""
    product_type: Mapped[str | None] = mapped_column(String(128))
    """Finest product kind (e.g. "Sports Shoes"); the most common hard filter."""
    category: Mapped[str | None] = mapped_column(String(255))
    """Category path joined with " > " (e.g. "Footwear > Shoes"), for display and lexical match."""
    colour: Mapped[str | None] = mapped_column(String(64))
    """Canonical colour name of the catalog (e.g. "Navy Blue")."""
    gender: Mapped[str | None] = mapped_column(String(32))
    """Target group (Men, Women, Boys, Girls, Unisex) when the catalog has one."""
    brand: Mapped[str | None] = mapped_column(String(128))
    """Brand, given or derived by the mapping (e.g. title words before the gender word)."""
    price: Mapped[float | None] = mapped_column(Float)
    """Price in ``currency``; None when the catalog has no price for the item."""
    currency: Mapped[str | None] = mapped_column(String(8))
    """ISO currency code of ``price``."""
    season: Mapped[str | None] = mapped_column(String(32))
    """Season the item is sold for (Summer, Winter, Fall, Spring)."""
    usage: Mapped[str | None] = mapped_column(String(64))
    """Occasion (Casual, Sports, Formal, ...)."""
    sizes: Mapped[str | None] = mapped_column(Text)
    """Available sizes joined with "|" (kept flat: size filters run in memory, not in SQL)."""
    description: Mapped[str | None] = mapped_column(Text)
    """Longer text when the catalog has one."""
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """Free attributes the mapping keeps (material, dimensions, designer...) for ask_details/compare."""
    image_url: Mapped[str | None] = mapped_column(Text)
    """Link to an image or product page when the catalog has one."""
    content_hash: Mapped[str] = mapped_column(String(64))
    """SHA-256 of every field above: re-ingestion compares it to update only what changed."""
