"""Keyword-only queries of the handoff table: waiting -> active (claimed) -> closed.

A waiting handoff nobody claimed within the timeout gets ``timed_out_at``: the customer was told
nobody is free and the bot answers again, but the request stays waiting in the queue and staff may
still claim it. Every transition that two processes could race for (two members of staff claiming,
two web-app timers timing out) is a conditional UPDATE, so exactly one of them wins.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from handoff.models import Handoff, utcnow

OPEN_STATUSES = ("waiting", "active")


class ClaimConflictError(RuntimeError):
    """Someone else already holds this conversation."""


def open_handoff(session: Session, *, conversation_id: str) -> Handoff | None:
    return session.scalars(
        select(Handoff).where(Handoff.conversation_id == conversation_id, Handoff.status.in_(OPEN_STATUSES)).order_by(Handoff.id.desc())
    ).first()


def record_waiting(session: Session, *, conversation_id: str, message_id: str | None = None) -> Handoff:
    """The bot handed over: one open handoff per conversation (a repeated request keeps the first),
    and one per customer message (a turn that runs again finds its row, even once it is closed).

    Check-then-insert is safe here: Rasa runs one turn of a conversation at a time (its lock store),
    and only the handoff action of a turn calls this. Where a turn's action call is re-sent while the
    first still runs, the unique (conversation, message) key lets only one insert win: the other
    gets ``IntegrityError`` and, in a new transaction, finds the winner's row here.
    """
    if message_id:
        earlier = session.scalars(
            select(Handoff).where(Handoff.conversation_id == conversation_id, Handoff.message_id == message_id)
        ).first()
        if earlier:
            return earlier
    existing = open_handoff(session, conversation_id=conversation_id)
    if existing:
        return existing
    handoff = Handoff(conversation_id=conversation_id, status="waiting", message_id=message_id)
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


def due_for_timeout(session: Session, *, requested_before: datetime) -> list[Handoff]:
    """Waiting handoffs asked for before ``requested_before`` whose customer has not been told yet."""
    return list(session.scalars(
        select(Handoff)
        .where(Handoff.status == "waiting", Handoff.timed_out_at.is_(None), Handoff.created_at <= requested_before)
        .order_by(Handoff.created_at)
    ))


def mark_timed_out(session: Session, *, handoff_id: int, at: datetime) -> bool:
    """Record that nobody claimed in time; True only for the one caller whose UPDATE took effect.

    Conditional on the handoff still waiting and not yet timed out: a claim that came first, or
    another web-app process's timer, makes this a no-op that returns False.
    """
    result = session.execute(
        update(Handoff)
        .where(Handoff.id == handoff_id, Handoff.status == "waiting", Handoff.timed_out_at.is_(None))
        .values(timed_out_at=at)
    )
    return getattr(result, "rowcount", 0) == 1


def clear_timed_out(session: Session, *, handoff_id: int) -> None:
    """Undo ``mark_timed_out`` when the customer could not be told, so the next sweep tries again."""
    session.execute(update(Handoff).where(Handoff.id == handoff_id, Handoff.status == "waiting").values(timed_out_at=None))


def forget_conversation(session: Session, *, conversation_id: str) -> int:
    """Delete every handoff of a conversation ("forget me"); returns how many rows went."""
    result = session.execute(delete(Handoff).where(Handoff.conversation_id == conversation_id))
    return int(getattr(result, "rowcount", 0) or 0)
