"""Alembic, the way every package of ours runs it: on a connection the caller hands over.

Why one module: the product store, the console, the handoff queue and the review loop each own
their tables and their migrations (own version table, so none of them ever sees or drops another's),
but they apply them the same way; the web app, the action server and the CLIs call ``upgrade_head``
at start-up, and each package's ``env.py`` is the two lines that name its tables.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, MetaData


def upgrade_head(engine: Engine, script_location: Path) -> None:
    """``alembic upgrade head`` for the migrations in ``script_location``, in one transaction (idempotent)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


def run_on_given_connection(target_metadata: MetaData, version_table: str = "alembic_version") -> None:
    """The body of a package's ``env.py``: run its migrations on the connection ``upgrade_head`` handed over."""
    from alembic import context

    connection = context.config.attributes["connection"]
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True, version_table=version_table)
    with context.begin_transaction():
        context.run_migrations()
