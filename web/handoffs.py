"""Keyword-only queries of the handoff table: waiting -> active (claimed) -> closed."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from web.models import Handoff, utcnow

OPEN_STATUSES = ("waiting", "active")


class ClaimConflictError(RuntimeError):
    """Someone else already holds this conversation."""


def open_handoff(session: Session, *, conversation_id: str) -> Handoff | None:
    return session.scalars(
        select(Handoff).where(Handoff.conversation_id == conversation_id, Handoff.status.in_(OPEN_STATUSES)).order_by(Handoff.id.desc())
    ).first()


def record_waiting(session: Session, *, conversation_id: str) -> Handoff:
    """The bot handed over: one open handoff per conversation (a repeated request keeps the first)."""
    existing = open_handoff(session, conversation_id=conversation_id)
    if existing:
        return existing
    handoff = Handoff(conversation_id=conversation_id, status="waiting")
    session.add(handoff)
    session.flush()
    return handoff


def list_open(session: Session) -> list[Handoff]:
    return list(session.scalars(select(Handoff).where(Handoff.status.in_(OPEN_STATUSES)).order_by(Handoff.created_at)))


def claim(session: Session, *, conversation_id: str, username: str) -> Handoff | None:
    """Give the conversation to ``username``; None when nothing is open, ClaimConflictError when taken."""
    handoff = open_handoff(session, conversation_id=conversation_id)
    if handoff is None:
        return None
    if handoff.status == "waiting":
        # A conditional UPDATE, so two simultaneous claims cannot both win.
        won = session.execute(
            update(Handoff).where(Handoff.id == handoff.id, Handoff.status == "waiting").values(status="active", claimed_by=username, claimed_at=utcnow())
        )
        session.refresh(handoff)
        if getattr(won, "rowcount", 0) == 1:
            return handoff
    if handoff.claimed_by != username:
        raise ClaimConflictError(f"already claimed by {handoff.claimed_by}")
    return handoff


def close(session: Session, *, handoff: Handoff) -> None:
    handoff.status = "closed"
    handoff.closed_at = utcnow()
