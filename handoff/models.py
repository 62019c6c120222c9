"""The handoff table, in the same database as the product store and the console tables.

The schema is owned by the Alembic migrations in ``handoff/migrations`` (own version table); this
class mirrors it. Its own ``Base``, so neither the product store's nor the console's migrations
ever see (or drop) it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; every value we store is UTC, so say so before comparing."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base of the handoff table only."""


class Handoff(Base):
    """A conversation the bot handed to staff: waiting -> active (claimed) -> closed (handed back)."""

    __tablename__ = "handoffs"
    __table_args__ = (UniqueConstraint("conversation_id", "message_id", name="uq_handoffs_message"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Rasa sender id: the customer id the web app gave the widget's cookie or the API client's token.
    conversation_id: Mapped[str] = mapped_column(String(128), index=True)
    # "waiting", "active" or "closed".
    status: Mapped[str] = mapped_column(String(16), default="waiting", index=True)
    # Username of the member of staff who claimed it (one at a time); None while waiting.
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # When the customer asked; the claim timeout (SHOP_HANDOFF_TIMEOUT_SECONDS) counts from here.
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # When the customer was told nobody is free and the bot took over again; None until then. The
    # request stays "waiting" in the queue, and staff may still claim it.
    timed_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The customer message that asked for a person (its client id); a turn that runs twice finds its
    # row instead of queueing again. None for rows from before message ids.
    message_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
