"""Alembic environment of the handoff table; its own version table, so the product store's and the
console's migrations and ours never see each other's revisions."""

from __future__ import annotations

from alembic import context

from handoff.models import Base

VERSION_TABLE = "handoff_alembic_version"
target_metadata = Base.metadata


def run_migrations() -> None:
    """Run online migrations on the connection handed over by ``handoff.db.migrate``."""
    connection = context.config.attributes["connection"]
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True, version_table=VERSION_TABLE)
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
