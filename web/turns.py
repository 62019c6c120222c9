"""A customer message answered exactly once, however often it arrives.

Why: a browser on a bad connection, an API client after a timeout, or a proxy retries a message
whose first request may still be running or may already have changed things. Every message carries
a client message id (the widget makes one with ``crypto.randomUUID()``); the first request for a
(customer, message id) inserts a ``pending`` row and runs the turn, then stores the answer; a repeat
finds the row and returns that answer, and a repeat that arrives while the first still runs waits
for it (polling the row, so it works across web-app replicas). Only if the request running it died
(its row pending for longer than any live request can take) does a repeat take the turn over: Rasa
answers it once too, since the message id goes along (``bot/channels/rest.py``), and the action
server keys the rows it writes by it.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from handoff.models import as_utc, utcnow
from web.db import session_scope
from web.models import ChatTurn

PENDING, DONE = "pending", "done"
# Answered messages are kept this long for repeats; the purge runs beside the handoff timer.
KEEP_ANSWERS = timedelta(days=2)


class MessageReusedError(ValueError):
    """The message id was used before for a different text (a client bug): 409."""


class TurnBusyError(RuntimeError):
    """The first request for this message is still running after the wait: 503, retry with the same id."""


@dataclass(frozen=True)
class Claim:
    """What a request found: the turn is its own to run, or the earlier answer (or neither: wait)."""

    mine: bool = False
    answer: dict[str, Any] | None = None


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def take(db: Session, *, customer_id: str, message_id: str, digest: str, owner: str, stale_after: timedelta) -> Claim:
    """Insert the pending row (the turn is ours), or report what an earlier request left."""
    now = utcnow()
    row = db.get(ChatTurn, (customer_id, message_id))
    if row is None:
        db.add(ChatTurn(customer_id=customer_id, message_id=message_id, text_hash=digest, status=PENDING, owner=owner,
                        created_at=now, updated_at=now))
        try:
            db.flush()
        except IntegrityError:  # a concurrent request inserted it first: wait for its answer
            db.rollback()
            return Claim()
        return Claim(mine=True)
    if row.text_hash != digest:
        raise MessageReusedError("This message id was already used for another message; send a new id.")
    if row.status == DONE:
        return Claim(answer=row.answer or {})
    if as_utc(row.updated_at) < now - stale_after:  # its request died: take the turn over, once
        won = db.execute(update(ChatTurn)
                         .where(ChatTurn.customer_id == customer_id, ChatTurn.message_id == message_id, ChatTurn.owner == row.owner)
                         .values(owner=owner, updated_at=now))
        return Claim(mine=getattr(won, "rowcount", 0) == 1)
    return Claim()


def finish(db: Session, *, customer_id: str, message_id: str, owner: str, answer: dict[str, Any]) -> None:
    db.execute(update(ChatTurn)
               .where(ChatTurn.customer_id == customer_id, ChatTurn.message_id == message_id, ChatTurn.owner == owner)
               .values(status=DONE, answer=answer, updated_at=utcnow()))


def release(db: Session, *, customer_id: str, message_id: str, owner: str) -> None:
    """The turn failed before an answer: forget the claim, so that a retry runs it."""
    db.execute(delete(ChatTurn).where(ChatTurn.customer_id == customer_id, ChatTurn.message_id == message_id,
                                      ChatTurn.owner == owner, ChatTurn.status == PENDING))


def purge_answers(db: Session, *, older_than: timedelta = KEEP_ANSWERS) -> int:
    """Delete answers kept longer than ``older_than``; returns how many went."""
    result = db.execute(delete(ChatTurn).where(ChatTurn.created_at < utcnow() - older_than))
    return int(getattr(result, "rowcount", 0) or 0)


def forget_customer(db: Session, *, customer_id: str) -> int:
    """Delete a customer's stored answers ("forget me")."""
    result = db.execute(delete(ChatTurn).where(ChatTurn.customer_id == customer_id))
    return int(getattr(result, "rowcount", 0) or 0)


async def answer_once(sessions: sessionmaker[Session], *, customer_id: str, message_id: str, text: str, request_timeout: float,
                      run: Callable[[], Awaitable[dict[str, Any]]]) -> tuple[dict[str, Any], bool]:
    """The answer to this message and whether this request produced it (False: an earlier one did).

    ``request_timeout`` bounds how long one request may run the turn; a pending row older than
    that (plus a margin) belongs to a request that died.
    """
    owner = secrets.token_hex(8)
    digest = text_digest(text)
    stale_after = timedelta(seconds=request_timeout + 5)
    deadline = time.monotonic() + request_timeout + 10
    delay = 0.05

    def _take() -> Claim:
        with session_scope(sessions) as db:
            return take(db, customer_id=customer_id, message_id=message_id, digest=digest, owner=owner, stale_after=stale_after)

    while True:
        claim = await asyncio.to_thread(_take)
        if claim.answer is not None:
            return claim.answer, False
        if claim.mine:
            break
        if time.monotonic() > deadline:
            raise TurnBusyError("The first request for this message is still running.")
        await asyncio.sleep(delay)
        delay = min(0.5, delay * 2)

    def _close(answer: dict[str, Any] | None) -> None:
        with session_scope(sessions) as db:
            if answer is None:
                release(db, customer_id=customer_id, message_id=message_id, owner=owner)
            else:
                finish(db, customer_id=customer_id, message_id=message_id, owner=owner, answer=answer)

    try:
        answer = await run()
    except BaseException:
        await asyncio.shield(asyncio.to_thread(_close, None))
        raise
    await asyncio.to_thread(_close, answer)
    return answer, True


def new_message_id() -> str:
    """An id for a message whose client sent none (its repeats then count as new messages)."""
    return "srv-" + secrets.token_hex(16)


async def purge_periodically(sessions: sessionmaker[Session], interval: float = 3600.0) -> None:
    """Delete old answers every ``interval`` seconds until cancelled (every replica may: a DELETE is idempotent)."""
    import logging

    from sqlalchemy.exc import SQLAlchemyError

    while True:
        await asyncio.sleep(interval)
        try:
            def _purge() -> int:
                with session_scope(sessions) as db:
                    return purge_answers(db)

            await asyncio.to_thread(_purge)
        except SQLAlchemyError as error:
            logging.getLogger(__name__).warning("old answers not purged (%s); trying again in %.0f s", error, interval)
