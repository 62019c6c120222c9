"""Alembic environment of the console tables; its own version table, so the product store's
migrations (``alembic_version``) and ours never see each other's revisions."""

from __future__ import annotations

from alembic import context

from web.models import Base

VERSION_TABLE = "web_alembic_version"
target_metadata = Base.metadata


def run_migrations() -> None:
    """Run online migrations on the connection handed over by ``web.db.migrate``."""
    connection = context.config.attributes["connection"]
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True, version_table=VERSION_TABLE)
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
