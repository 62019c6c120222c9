"""Tables of the web app (staff console, API customers, answered messages), in the product store's database.

The schema is owned by the Alembic migrations in ``web/migrations`` (own version table), applied on
start-up; these classes mirror it. They have their own ``Base`` so the product store's migrations
never see (or drop) them. The handoff queue the console works on is ``handoff.models.Handoff``: the
action server writes it too, so it lives below the web app.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from handoff.models import utcnow


class Base(DeclarativeBase):
    """Declarative base of the console tables only."""


class StaffAccount(Base):
    """A member of staff who may log in to the console."""

    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Login name, unique, shown to colleagues in the console and stored with staff messages.
    username: Mapped[str] = mapped_column(String(64), unique=True)
    # argon2id hash (with its own salt and parameters); the password itself is never stored.
    password_hash: Mapped[str] = mapped_column(String(255))
    # What the account may do, comma-separated (``web.roles``): "agent" answers handed-over customers,
    # "reviewer" corrects the review queue and exports it as training data.
    roles: Mapped[str] = mapped_column(String(64), default="agent")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class StaffSession(Base):
    """A logged-in browser: the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "staff_sessions"

    # SHA-256 hex of the cookie token: a leaked table cannot be replayed as cookies.
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id", ondelete="CASCADE"))
    # Sent back by the console in X-CSRF-Token on every state-changing request.
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ApiCustomer(Base):
    """A customer who chats through the API: the bearer token is their identity, as the cookie is a widget's."""

    __tablename__ = "api_customers"

    # SHA-256 hex of the bearer token: the token itself is shown once, when it is issued.
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The conversation id (Rasa sender id, feedback profile key) the token stands for: "api-<hex>".
    customer_id: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ChatTurn(Base):
    """One customer message and the answer it got, so that a re-sent message is answered once.

    Keyed by (customer, client message id). ``pending`` while one request runs the turn (``owner``
    names that request; ``updated_at`` is when it took the turn), ``done`` with the answer after.
    """

    __tablename__ = "chat_turns"

    customer_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    # The client's id of the message (the widget's crypto.randomUUID(), or an API client's own).
    message_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # SHA-256 hex of the message text: the same id with another text is a client bug, refused with 409.
    text_hash: Mapped[str] = mapped_column(String(64))
    # "pending" or "done".
    status: Mapped[str] = mapped_column(String(16))
    # Random id of the request running the turn; another request takes it over only once it is stale.
    owner: Mapped[str] = mapped_column(String(32))
    # The reply as the client got it: {"messages": [...], "handoff": ...}; None while pending.
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
