"""Feedback events: every reaction of a customer to a product.

Revision ID: 0002_feedback
Revises: 0001_products
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_feedback"
down_revision = "0001_products"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create feedback_events with the indexes the re-ranker and "forget me" query by."""
    op.create_table(
        "feedback_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("conversation_id", sa.String(160), nullable=False),
        sa.Column("turn", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("product_id", sa.String(128), nullable=False),
        sa.Column("query", sa.Text(), nullable=False, server_default=""),
        sa.Column("constraints", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_feedback_customer_time", "feedback_events", ["customer_id", "created_at"])
    op.create_index("ix_feedback_conversation", "feedback_events", ["conversation_id"])


def downgrade() -> None:
    """Drop the feedback table."""
    op.drop_index("ix_feedback_conversation", table_name="feedback_events")
    op.drop_index("ix_feedback_customer_time", table_name="feedback_events")
    op.drop_table("feedback_events")
