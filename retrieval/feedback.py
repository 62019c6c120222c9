"""The feedback store: every reaction of a customer to a product, in SQL.

Why raw events and no pre-aggregated profile: preferences are recomputed from the events with a
time decay on every turn (a customer has at most a few hundred events), so there is no derived
state to keep consistent, "forget me" is a single DELETE, and the retention period is a filter.

Each row is keyed by the customer message it came with (``message_id``): a turn that runs twice (a
replica killed mid-turn, an action call re-sent to another worker) stores each reaction once.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, Text, UniqueConstraint, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from retrieval.models import Base
from retrieval.store import session_scope


class Reaction(str, enum.Enum):
    """Kinds of reactions, explicit and implicit, with how strongly each says "more like this"."""

    LIKE = "like"                  # thumbs up
    DISLIKE = "dislike"            # thumbs down
    REJECT = "reject"              # "not this one": also hides the product for the session
    MORE_LIKE_THIS = "more_like_this"
    ADD_TO_CART = "add_to_cart"
    SELECT = "select"              # clicked / picked a card (implicit)
    DETAILS = "details"            # asked about it (implicit)

    @property
    def weight(self) -> float:
        return REACTION_WEIGHTS[self]

    @property
    def hides_product(self) -> bool:
        return self in (Reaction.DISLIKE, Reaction.REJECT)


REACTION_WEIGHTS: dict[Reaction, float] = {
    Reaction.LIKE: 1.0, Reaction.DISLIKE: -1.0, Reaction.REJECT: -1.0, Reaction.MORE_LIKE_THIS: 1.0,
    Reaction.ADD_TO_CART: 1.5, Reaction.SELECT: 0.3, Reaction.DETAILS: 0.2,
}


# The customer message whose turn is recording reactions (its client id from the turn's metadata),
# set by the action around its work (``reactions_of``). Without it a row is keyed by its turn number.
CURRENT_MESSAGE: ContextVar[str | None] = ContextVar("feedback_current_message", default=None)
ONCE_KEY = ("conversation_id", "message_id", "kind", "product_id")


@contextmanager
def reactions_of(message_id: str | None) -> Iterator[None]:
    """Reactions recorded inside belong to the customer message ``message_id`` (None: unknown)."""
    token = CURRENT_MESSAGE.set(message_id)
    try:
        yield
    finally:
        CURRENT_MESSAGE.reset(token)


class FeedbackEvent(Base):
    """One reaction of one customer to one product at one turn of one conversation."""

    __tablename__ = "feedback_events"
    __table_args__ = (UniqueConstraint(*ONCE_KEY, name="uq_feedback_once"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(String(128))
    """Pseudonymous id of the customer (the chat sender id); what "forget me" deletes by."""
    conversation_id: Mapped[str] = mapped_column(String(160))
    """The chat session the reaction belongs to (session feedback re-ranks within it)."""
    turn: Mapped[int] = mapped_column(Integer, default=0)
    """Index of the customer's message in the conversation when the reaction happened."""
    kind: Mapped[str] = mapped_column(String(32))
    """A ``Reaction`` value."""
    product_id: Mapped[str] = mapped_column(String(128))
    """Catalog id of the product reacted to."""
    query: Mapped[str] = mapped_column(Text, default="")
    """The search text active at the time (for analysis; never logged)."""
    constraints: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """The customer's active constraints at the time."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    """When it happened (UTC); drives the decay of long-term preferences and retention."""
    message_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    """The customer message the reaction came with: its client id, else ``turn-<turn>``; None for rows
    recorded outside a conversation turn. With conversation, kind and product, the row's unique key."""


@dataclass(frozen=True)
class StoredReaction:
    """A reaction as the re-ranker sees it."""

    product_id: str
    kind: Reaction
    conversation_id: str
    created_at: datetime


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class FeedbackStore:
    """Keyword-only functions over the feedback table, bound to one engine."""

    def __init__(self, engine: Engine, *, retention_days: int = 365) -> None:
        self.engine = engine
        self.retention_days = retention_days

    def record(self, *, customer_id: str, conversation_id: str, kind: Reaction, product_id: str, turn: int = 0,
               query: str = "", constraints: dict[str, Any] | None = None, at: datetime | None = None,
               message_id: str | None = None) -> bool:
        """Store one reaction, once per customer message: False when this message already stored it.

        The message is ``message_id``, else the one of ``reactions_of``, else the turn (when known).
        """
        key = message_id or CURRENT_MESSAGE.get() or (f"turn-{turn}" if turn > 0 else None)
        row = {"customer_id": customer_id, "conversation_id": conversation_id, "turn": turn, "kind": kind.value,
               "product_id": product_id, "query": query[:2000], "constraints": constraints or {},
               "created_at": at or datetime.now(UTC), "message_id": key}
        dialect = self.engine.dialect.name
        if dialect in ("postgresql", "sqlite"):
            insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(FeedbackEvent)
            with session_scope(self.engine) as session:
                result = session.execute(insert.values(**row).on_conflict_do_nothing(index_elements=list(ONCE_KEY)))
                return bool(getattr(result, "rowcount", 1))
        try:
            with session_scope(self.engine) as session:
                session.add(FeedbackEvent(**row))
            return True
        except IntegrityError:  # the same message stored it first
            return False

    def history(self, *, customer_id: str, now: datetime | None = None) -> list[StoredReaction]:
        """The customer's reactions within the retention period, oldest first."""
        cutoff = (now or datetime.now(UTC)) - timedelta(days=self.retention_days)
        with session_scope(self.engine) as session:
            rows = session.execute(
                select(FeedbackEvent.product_id, FeedbackEvent.kind, FeedbackEvent.conversation_id, FeedbackEvent.created_at)
                .where(FeedbackEvent.customer_id == customer_id, FeedbackEvent.created_at >= cutoff)
                .order_by(FeedbackEvent.created_at, FeedbackEvent.id)
            ).all()
        return [StoredReaction(r.product_id, Reaction(r.kind), r.conversation_id, _utc(r.created_at)) for r in rows]

    def forget_customer(self, *, customer_id: str) -> int:
        """Delete every row of the customer ("forget me"); returns how many went."""
        with session_scope(self.engine) as session:
            result = session.execute(delete(FeedbackEvent).where(FeedbackEvent.customer_id == customer_id))
            return int(getattr(result, "rowcount", 0) or 0)

    def purge_expired(self, *, now: datetime | None = None) -> int:
        """Delete rows older than the retention period; run daily in production."""
        cutoff = (now or datetime.now(UTC)) - timedelta(days=self.retention_days)
        with session_scope(self.engine) as session:
            result = session.execute(delete(FeedbackEvent).where(FeedbackEvent.created_at < cutoff))
            return int(getattr(result, "rowcount", 0) or 0)

    def count(self, *, customer_id: str | None = None) -> int:
        with session_scope(self.engine) as session:
            query = select(FeedbackEvent.id)
            if customer_id is not None:
                query = query.where(FeedbackEvent.customer_id == customer_id)
            return len(session.execute(query).all())


def hidden_products(reactions: Sequence[StoredReaction], conversation_id: str) -> list[str]:
    """Products the customer turned down in this conversation (never shown again unless asked)."""
    hidden: dict[str, None] = {}
    for reaction in reactions:
        if reaction.conversation_id != conversation_id:
            continue
        if reaction.kind.hides_product:
            hidden[reaction.product_id] = None
        elif reaction.kind in (Reaction.LIKE, Reaction.ADD_TO_CART, Reaction.SELECT):
            hidden.pop(reaction.product_id, None)  # a later positive reaction takes it back
    return list(hidden)
