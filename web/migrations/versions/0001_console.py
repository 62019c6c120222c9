"""Staff accounts and staff sessions.

Revision ID: 0001_console
Revises:
Create Date: 2026-11-25

Earlier versions of this revision also created the ``handoffs`` table. It now belongs to
``handoff/migrations`` (the action server creates it too), whose first revision keeps a table
created here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_console"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the console tables (see web/models.py for what each column means)."""
    op.create_table(
        "staff_accounts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.Integer(), sa.ForeignKey("staff_accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("staff_sessions")
    op.drop_table("staff_accounts")
