"""Read new events of Rasa's tracker store into the review queue (incremental, idempotent).

Why a scan of the store rather than a hook in Rasa: the queue must not slow or endanger a turn, and
it must see every turn whoever answered it. The scan reads only conversations with events newer than
the last scan (event ids only grow), plus those whose last search found nothing and which may since
have been abandoned. One transaction per scan: a failed scan leaves nothing half-read, and two web
replicas scanning at once cannot insert the same message twice (unique per conversation and event).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, MetaData, Table, func, inspect, select
from sqlalchemy.orm import Session

from handoff.models import utcnow
from review.models import ReviewItem, ScannedConversation
from review.signals import Candidate, abandoned, scan_events

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScanPolicy:
    """When a message counts as uncertain, and how long silence after a failed search means the customer left."""

    low_confidence: float
    abandon_after_seconds: float


@dataclass
class ScanReport:
    conversations: int = 0
    flagged: int = 0


def events_table(tracker: Engine) -> Table | None:
    """Rasa's ``events`` table, or None before Rasa wrote its first event."""
    if not inspect(tracker).has_table("events"):
        return None
    return Table("events", MetaData(), autoload_with=tracker)


def conversation_events(tracker: Engine, table: Table, conversation_id: str, upto: int | None = None) -> list[tuple[int, dict[str, Any]]]:
    """A conversation's events up to ``upto``, oldest first, as Rasa serialised them."""
    query = select(table.c.id, table.c.data).where(table.c.sender_id == conversation_id).order_by(table.c.id)
    if upto is not None:
        query = query.where(table.c.id <= upto)
    with tracker.connect() as connection:
        rows = connection.execute(query).all()
    events = []
    for event_id, data in rows:
        try:
            events.append((int(event_id), json.loads(data)))
        except (TypeError, ValueError):
            logger.warning("review scan: skipped unreadable event %s of a conversation", event_id)
    return events


def _upsert(session: Session, conversation_id: str, candidate: Candidate) -> bool:
    """Insert the flagged message or add the new reasons to its row; True when it is new."""
    row = session.scalar(select(ReviewItem).where(ReviewItem.conversation_id == conversation_id, ReviewItem.event_id == candidate.event_id))
    if row is None:
        session.add(ReviewItem(
            conversation_id=conversation_id, event_id=candidate.event_id, text=candidate.text, intent=candidate.intent,
            confidence=candidate.confidence, entities=candidate.entities, reasons=list(candidate.reasons),
            products=list(candidate.products), status="open",
            occurred_at=datetime.fromtimestamp(candidate.timestamp, UTC) if candidate.timestamp else utcnow(),
        ))
        return True
    merged = list(dict.fromkeys([*row.reasons, *candidate.reasons]))
    if merged != row.reasons or (candidate.products and candidate.products != row.products):
        row.reasons, row.updated_at = merged, utcnow()
        row.products = list(candidate.products) or row.products
    return False


def scan(tracker: Engine, session: Session, policy: ScanPolicy, *, now: float | None = None) -> ScanReport:
    """Read what is new in the tracker store into ``session`` (the caller commits)."""
    now = time.time() if now is None else now
    report = ScanReport()
    table = events_table(tracker)
    if table is None:
        return report
    with tracker.connect() as connection:
        top = connection.scalar(select(func.max(table.c.id))) or 0
        cursor = session.scalar(select(func.max(ScannedConversation.last_event_id))) or 0
        fresh = {str(s) for s in connection.scalars(select(table.c.sender_id).where(table.c.id > cursor, table.c.id <= top).distinct())}
    waiting = {row.conversation_id for row in session.scalars(
        select(ScannedConversation).where(ScannedConversation.no_result_since.is_not(None),
                                          ScannedConversation.no_result_since <= now - policy.abandon_after_seconds))}
    for conversation_id in sorted(fresh | waiting):
        events = conversation_events(tracker, table, conversation_id, top)
        if not events:
            continue
        result = scan_events(events, low_confidence=policy.low_confidence)
        flagged = list(result.flagged)
        left = abandoned(result, events, now=now, after_seconds=policy.abandon_after_seconds)
        if left is not None:
            flagged.append(left)
        report.flagged += sum(_upsert(session, conversation_id, candidate) for candidate in flagged)
        report.conversations += 1
        state = session.get(ScannedConversation, conversation_id)
        if state is None:
            state = ScannedConversation(conversation_id=conversation_id, last_event_id=events[-1][0])
            session.add(state)
        state.last_event_id = max(state.last_event_id, events[-1][0])
        state.no_result_since = result.no_result_since if left is None else None
    session.flush()
    return report
