"""Products table.

Revision ID: 0001_products
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_products"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the products table (one row per product per catalog)."""
    op.create_table(
        "products",
        sa.Column("row_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("catalog", sa.String(64), nullable=False),
        sa.Column("product_id", sa.String(128), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("product_type", sa.String(128)),
        sa.Column("category", sa.String(255)),
        sa.Column("colour", sa.String(64)),
        sa.Column("gender", sa.String(32)),
        sa.Column("brand", sa.String(128)),
        sa.Column("price", sa.Float()),
        sa.Column("currency", sa.String(8)),
        sa.Column("season", sa.String(32)),
        sa.Column("usage", sa.String(64)),
        sa.Column("sizes", sa.Text()),
        sa.Column("description", sa.Text()),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("image_url", sa.Text()),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("catalog", "product_id", name="uq_products_catalog_product_id"),
    )
    op.create_index("ix_products_catalog", "products", ["catalog"])


def downgrade() -> None:
    """Drop the products table."""
    op.drop_index("ix_products_catalog", table_name="products")
    op.drop_table("products")
