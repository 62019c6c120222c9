"""Feedback rows keyed by the customer message they came with: a turn that runs twice stores them once.

Revision ID: 0003_feedback_once
Revises: 0002_feedback
Create Date: 2026-12-08

Rows stored before have no message id (NULL), which a unique key never compares equal, so they
all stay.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_feedback_once"
down_revision = "0002_feedback"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``message_id`` and the unique key (conversation, message, kind, product)."""
    with op.batch_alter_table("feedback_events") as batch:
        batch.add_column(sa.Column("message_id", sa.String(80), nullable=True))
        batch.create_unique_constraint("uq_feedback_once", ["conversation_id", "message_id", "kind", "product_id"])


def downgrade() -> None:
    with op.batch_alter_table("feedback_events") as batch:
        batch.drop_constraint("uq_feedback_once", type_="unique")
        batch.drop_column("message_id")
