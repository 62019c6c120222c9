"""Tables of the review loop, in the same database as the product store and the console tables.

The schema is owned by the Alembic migrations in ``review/migrations`` (own version table); these
classes mirror it. Every row that holds a customer's words carries their ``conversation_id``, so
forget-me finds it (``review.corrections.forget_conversation``); exports never write that id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from handoff.models import utcnow


class Base(DeclarativeBase):
    """Declarative base of the review tables only."""


class ReviewItem(Base):
    """One customer message that went wrong or might have, with what the model made of it."""

    __tablename__ = "review_items"
    __table_args__ = (UniqueConstraint("conversation_id", "event_id", name="uq_review_items_event"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Rasa sender id (the customer id); never exported.
    conversation_id: Mapped[str] = mapped_column(String(255), index=True)
    # Id of the user event in Rasa's tracker store: a re-scan updates the row instead of adding one.
    event_id: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    # The model's intent (the best real intent when the fallback classifier answered nlu_fallback).
    intent: Mapped[str] = mapped_column(String(64))
    confidence: Mapped[float] = mapped_column(Float)
    # The model's entities: [{"start", "end", "entity", "role"}], offsets into ``text``.
    entities: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Why it is in the queue: codes of ``review.signals.REASONS``.
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Product ids the assistant showed in answer to this message (for relevance marks).
    products: Mapped[list[str]] = mapped_column(JSON, default=list)
    # "open", "corrected" or "dismissed".
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Correction(Base):
    """What a reviewer says a message means; the latest one per item is exported."""

    __tablename__ = "review_corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"), index=True)
    intent: Mapped[str] = mapped_column(String(64))
    # [{"start", "end", "entity", "role"}] over the item's text, on word boundaries.
    entities: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    reviewer: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RelevanceMark(Base):
    """A reviewer's grade of one product shown for one search message (0 wrong, 1 partly, 2 right)."""

    __tablename__ = "review_relevance"
    __table_args__ = (UniqueConstraint("item_id", "product_id", name="uq_review_relevance"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[str] = mapped_column(String(128))
    grade: Mapped[int] = mapped_column(Integer)
    reviewer: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReviewStory(Base):
    """A whole conversation turned into a ``rasa test`` story (steps already in Rasa's story format)."""

    __tablename__ = "review_stories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Where it came from, for forget-me; the exported story is named by ``id`` only.
    conversation_id: Mapped[str] = mapped_column(String(255), index=True)
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    reviewer: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ScannedConversation(Base):
    """How far the collector read a conversation, and whether it may yet turn out abandoned."""

    __tablename__ = "review_scanned"

    conversation_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(Integer)
    # Set while the conversation's last answer found nothing and the customer may still come back.
    no_result_since: Mapped[float | None] = mapped_column(Float, nullable=True)
