"""API customers (bearer token hashes) and answered messages (exactly-once turns).

Revision ID: 0002_customers_and_turns
Revises: 0001_console
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_customers_and_turns"
down_revision = "0001_console"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create api_customers and chat_turns (see web/models.py for what each column means)."""
    op.create_table(
        "api_customers",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("customer_id", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "chat_turns",
        sa.Column("customer_id", sa.String(128), primary_key=True),
        sa.Column("message_id", sa.String(64), primary_key=True),
        sa.Column("text_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(32), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_chat_turns_created_at", "chat_turns", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_chat_turns_created_at", table_name="chat_turns")
    op.drop_table("chat_turns")
    op.drop_table("api_customers")
