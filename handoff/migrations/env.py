"""Alembic environment of the handoff table; its own version table, so no other package's migrations and
ours ever see each other's revisions."""

from __future__ import annotations

from handoff.models import Base
from shop.migrations import run_on_given_connection

VERSION_TABLE = "handoff_alembic_version"

run_on_given_connection(Base.metadata, VERSION_TABLE)
