"""The customer message that asked for a person: a turn that runs twice queues once.

Revision ID: 0003_message_id
Revises: 0002_timed_out_at
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_message_id"
down_revision = "0002_timed_out_at"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``message_id`` and the unique key (conversation, message); older rows keep NULL."""
    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(sa.Column("message_id", sa.String(80), nullable=True))
        batch.create_unique_constraint("uq_handoffs_message", ["conversation_id", "message_id"])


def downgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_constraint("uq_handoffs_message", type_="unique")
        batch.drop_column("message_id")
