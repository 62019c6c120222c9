"""Tables of the staff console, kept in the same database as the product store.

The schema is owned by the Alembic migrations in ``web/migrations`` (own version table), applied on
start-up; these classes mirror it. They have their own ``Base`` so the product store's migrations
never see (or drop) them. The handoff queue the console works on is ``handoff.models.Handoff``: the
action server writes it too, so it lives below the web app.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
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
