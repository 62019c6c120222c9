"""Alembic environment of the review tables; its own version table, so no other package's migrations and
ours ever see each other's revisions."""

from __future__ import annotations

from review.models import Base
from shop.migrations import run_on_given_connection

VERSION_TABLE = "review_alembic_version"

run_on_given_connection(Base.metadata, VERSION_TABLE)
