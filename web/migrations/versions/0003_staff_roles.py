"""Staff roles: who answers customers (agent) and who corrects and exports training data (reviewer).

Revision ID: 0003_staff_roles
Revises: 0002_customers_and_turns
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_staff_roles"
down_revision = "0002_customers_and_turns"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Accounts from before roles keep what they could do: answer handed-over customers."""
    with op.batch_alter_table("staff_accounts") as batch:
        batch.add_column(sa.Column("roles", sa.String(64), nullable=False, server_default="agent"))


def downgrade() -> None:
    with op.batch_alter_table("staff_accounts") as batch:
        batch.drop_column("roles")
