"""Alembic environment: uses the caller's connection, or the URL from shop.settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from retrieval.models import Base

target_metadata = Base.metadata


def run_migrations() -> None:
    """Run online migrations on the connection handed over by ``retrieval.store.migrate``."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    from shop.settings import get_settings

    engine = create_engine(get_settings().resolved_database_url)
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
