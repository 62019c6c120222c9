"""No customer waits for a person forever: when nobody claims a handoff in time, the bot takes over again.

Where: the web app owns the console, so a background task of its lifespan sweeps the queue every
few seconds. A handoff still waiting ``SHOP_HANDOFF_TIMEOUT_SECONDS`` after the customer asked gets
``timed_out_at``; then the customer is told nobody is free (``HANDOFF_TIMEOUT_MESSAGE``), the
conversation is resumed so the bot answers the next message, and the request stays in the queue,
where staff may still claim it (claiming pauses the bot again, ``web/routes/console_api.py``).

Several web-app processes may sweep the same queue: ``mark_timed_out`` is a conditional UPDATE, so
exactly one of them wins a handoff and tells its customer. The notice goes into Rasa's tracker, the
source of truth: the transcript shows it, widget customers get it pushed over SSE (through Redis
when the web app runs as several replicas, ``web/live.py``), and API customers get it at the start
of the answer to their next message (``bot/channels/rest.py``).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError

from handoff.models import Handoff, utcnow
from handoff.queue import clear_timed_out, due_for_timeout, mark_timed_out
from shop.messages import HANDOFF_TIMEOUT_MESSAGE, OUT_OF_TURN
from web.db import session_scope
from web.rasa_client import RasaUnavailableError
from web.state import AppState

logger = logging.getLogger(__name__)
# What the customer's handoff looks like to them once the timeout told them nobody is free.
QUEUED = "queued"


def sweep_interval(timeout_seconds: float) -> float:
    """Seconds between sweeps: a quarter of the timeout, between 0.25 s and 5 s."""
    return min(5.0, max(0.25, timeout_seconds / 4))


def customer_status(handoff: Handoff | None) -> str | None:
    """The handoff as the widget shows it: waiting, queued (nobody was free; the bot helps), active."""
    if handoff is None:
        return None
    if handoff.status == "waiting" and handoff.timed_out_at is not None:
        return QUEUED
    return handoff.status


async def run_handoff_timer(state: AppState) -> None:
    """Sweep until cancelled; an outage of the database or of Rasa only delays the next sweep."""
    interval = sweep_interval(state.settings.handoff_timeout_seconds)
    while True:
        await asyncio.sleep(interval)
        try:
            await sweep(state)
        except (SQLAlchemyError, RasaUnavailableError) as error:
            logger.warning("handoff timer: %s; trying again in %.1f s", error, interval)
        except Exception:  # a bug: log it as one, and keep the timer alive for the next customer
            logger.exception("BUG in the handoff timer; it keeps running")


async def sweep(state: AppState) -> int:
    """Tell every customer whose handoff nobody claimed in time; returns how many this process told."""
    requested_before = utcnow() - timedelta(seconds=state.settings.handoff_timeout_seconds)
    with session_scope(state.sessions) as db:
        due = [(h.id, h.conversation_id) for h in due_for_timeout(db, requested_before=requested_before)]
    told = 0
    for handoff_id, conversation_id in due:
        told += await time_out(state, handoff_id=handoff_id, conversation_id=conversation_id)
    return told


async def time_out(state: AppState, *, handoff_id: int, conversation_id: str) -> bool:
    """Tell one customer nobody is free and resume the bot; False when another process or a claim came first."""
    with session_scope(state.sessions) as db:
        if not mark_timed_out(db, handoff_id=handoff_id, at=utcnow()):
            return False
    notice = {"event": "bot", "text": HANDOFF_TIMEOUT_MESSAGE, "metadata": {OUT_OF_TURN: True, "handoff": "timeout"}}
    try:
        # action_listen ends the bot's turn, so the customer's next message is answered normally.
        await state.rasa.append_events(conversation_id, [notice, {"event": "resume"}, {"event": "action", "name": "action_listen"}])
    except RasaUnavailableError:
        with session_scope(state.sessions) as db:  # not told: the next sweep tries again
            clear_timed_out(db, handoff_id=handoff_id)
        raise
    with session_scope(state.sessions) as db:
        handoff = db.get(Handoff, handoff_id)
        claimed = handoff is not None and handoff.status != "waiting"
    if claimed:
        # A member of staff claimed while the bot was being resumed: they hold the conversation, so
        # the bot must stay quiet (the claim paused it too, possibly before the resume above).
        await state.rasa.append_events(conversation_id, [{"event": "pause"}])
    message = {"role": "bot", "text": HANDOFF_TIMEOUT_MESSAGE}
    state.live.publish("customer", conversation_id, {"type": "message", "message": message})
    state.live.publish("staff", conversation_id, {"type": "message", "message": message})
    if not claimed:
        state.live.publish("customer", conversation_id, {"type": "handoff", "status": QUEUED})
    logger.info("handoff %d: nobody claimed it in %.0f s; the customer was told and the bot resumed",
                handoff_id, state.settings.handoff_timeout_seconds)
    return True
