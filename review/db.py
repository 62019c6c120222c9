"""Migrations of the review tables (``alembic upgrade head``, own version table)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from shop.migrations import upgrade_head

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def migrate(engine: Engine) -> None:
    """Bring the review tables up to date; idempotent, called by every process that uses them."""
    upgrade_head(engine, MIGRATIONS_DIR)
