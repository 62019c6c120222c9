"""Alembic environment of the console tables; its own version table, so no other package's migrations and
ours ever see each other's revisions."""

from __future__ import annotations

from shop.migrations import run_on_given_connection
from web.models import Base

VERSION_TABLE = "web_alembic_version"

run_on_given_connection(Base.metadata, VERSION_TABLE)
