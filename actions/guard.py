"""A decorator that turns a failing backing service into a polite message instead of an error.

Why: if the product store or index is down, the customer must hear "one moment" and the
conversation must carry on once it recovers; Rasa would otherwise log an action failure and say
nothing.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.services import ServiceUnavailableError

logger = logging.getLogger(__name__)
TROUBLE_MESSAGE = "I'm having trouble reaching the shop right now, one moment please — try again in a few seconds."

Run = Callable[..., Awaitable[list[EventType]]]


def customer_safe(run: Run) -> Run:
    """Wrap an action's ``run`` so outages and unexpected errors answer the customer clearly."""

    @functools.wraps(run)
    async def wrapper(self: Any, dispatcher: CollectingDispatcher, tracker: Any, domain: Any) -> list[EventType]:
        try:
            return await run(self, dispatcher, tracker, domain)
        except ServiceUnavailableError:
            dispatcher.utter_message(text=TROUBLE_MESSAGE)
            return []
        except Exception:  # the customer must never be left without an answer
            logger.exception("action %s failed for conversation %s", self.name(), getattr(tracker, "sender_id", "?"))
            dispatcher.utter_message(text=TROUBLE_MESSAGE)
            return []

    return wrapper
