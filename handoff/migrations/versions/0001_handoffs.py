"""The handoff table.

Revision ID: 0001_handoffs
Revises:
Create Date: 2026-12-01

Databases of earlier versions already have it: the console's first migration created it, before the
table moved here so that the action server can create it too. Such a table is kept as it is.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_handoffs"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the table unless the console's earlier migration did (see handoff/models.py for the columns)."""
    if sa.inspect(op.get_bind()).has_table("handoffs"):
        return
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_handoffs_conversation_id", "handoffs", ["conversation_id"])
    op.create_index("ix_handoffs_status", "handoffs", ["status"])


def downgrade() -> None:
    op.drop_table("handoffs")
