"""Handing the conversation to a member of staff.

The action puts the conversation in the staff queue (``handoff.queue``) before it pauses the bot,
so every customer who asks for a person reaches the console, whether they chat through the web
widget or Rasa's REST channel directly. If the queue cannot be written the bot is not paused: a
customer nobody can see must not wait in silence. The web app's timer tells a customer nobody
claimed in time that nobody is free, and resumes the bot (``web/handoff_timer.py``).
"""

from __future__ import annotations

import asyncio
import threading

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from actions.guard import customer_safe
from handoff.db import migrate
from handoff.models import Handoff
from handoff.queue import record_waiting
from retrieval.store import make_engine
from shop.messages import HANDOFF_MESSAGE, HANDOFF_STILL_QUEUED_MESSAGE, MESSAGE_ID
from shop.settings import get_settings

_lock = threading.Lock()
_sessions: sessionmaker[Session] | None = None


def queue_sessions() -> sessionmaker[Session]:
    """Sessions on the handoff queue of this worker, built on first use (creating the table if needed)."""
    global _sessions
    if _sessions is None:
        with _lock:
            if _sessions is None:
                engine = make_engine(get_settings().resolved_database_url)
                try:
                    migrate(engine)
                except BaseException:
                    engine.dispose()
                    raise
                _sessions = sessionmaker(engine, expire_on_commit=False)
    return _sessions


def enqueue(conversation_id: str, message_id: str | None = None) -> Handoff:
    """The conversation's open handoff, created when there is none (one per conversation and customer message)."""
    try:
        with queue_sessions()() as session, session.begin():
            return record_waiting(session, conversation_id=conversation_id, message_id=message_id)
    except IntegrityError:  # another run of the same message queued it a moment ago: that row it is
        with queue_sessions()() as session, session.begin():
            return record_waiting(session, conversation_id=conversation_id, message_id=message_id)


class ActionHandoffToHuman(Action):
    """Queue the conversation for staff and pause the bot so they can take over from the console."""

    def name(self) -> str:
        return "action_handoff_to_human"

    @customer_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Queue the request, tell the customer someone is coming, then pause; staff resume the bot when they hand back."""
        message_id = (tracker.latest_message.get("metadata") or {}).get(MESSAGE_ID)
        handoff = await asyncio.to_thread(enqueue, tracker.sender_id, str(message_id) if message_id else None)
        if handoff.timed_out_at is not None:
            # Asked again after being told nobody is free: still queued, and the bot keeps helping.
            dispatcher.utter_message(text=HANDOFF_STILL_QUEUED_MESSAGE)
            return []
        dispatcher.utter_message(text=HANDOFF_MESSAGE, json_message={"type": "handoff", "status": "waiting"})
        return [ConversationPaused()]
