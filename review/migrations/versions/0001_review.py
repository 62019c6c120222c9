"""Review queue, corrections, relevance marks, test stories and the collector's progress.

Revision ID: 0001_review
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_review"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the review tables (see review/models.py for what each column means)."""
    op.create_table(
        "review_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(255), nullable=False, index=True),
        sa.Column("event_id", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("intent", sa.String(64), nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("entities", sa.JSON, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("products", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("conversation_id", "event_id", name="uq_review_items_event"),
    )
    op.create_table(
        "review_corrections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("review_items.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("intent", sa.String(64), nullable=False),
        sa.Column("entities", sa.JSON, nullable=False),
        sa.Column("reviewer", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "review_relevance",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("review_items.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("product_id", sa.String(128), nullable=False),
        sa.Column("grade", sa.Integer, nullable=False),
        sa.Column("reviewer", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("item_id", "product_id", name="uq_review_relevance"),
    )
    op.create_table(
        "review_stories",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(255), nullable=False, index=True),
        sa.Column("steps", sa.JSON, nullable=False),
        sa.Column("reviewer", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "review_scanned",
        sa.Column("conversation_id", sa.String(255), primary_key=True),
        sa.Column("last_event_id", sa.Integer, nullable=False),
        sa.Column("no_result_since", sa.Float, nullable=True),
    )


def downgrade() -> None:
    for table in ("review_scanned", "review_stories", "review_relevance", "review_corrections", "review_items"):
        op.drop_table(table)
