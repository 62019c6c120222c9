"""A decorator that answers the customer clearly when an action cannot finish, and tells outages from bugs.

Why two answers: when the product store or index is down, the customer must hear "one moment" and
the conversation carries on once it recovers; that is an outage, expected and logged as a warning.
Any other exception is a bug in our code: it is logged as a bug with its traceback, and the
customer hears that something went wrong on our side, not that the shop is unreachable, so bugs
never pass for outages and tests can tell the two apart.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from actions.services import ServiceUnavailableError
from retrieval.errors import IndexMismatchError, IndexMissingError, StoreUnavailableError
from shop.messages import BUG_MESSAGE, TROUBLE_MESSAGE

logger = logging.getLogger(__name__)

Run = Callable[..., Awaitable[list[EventType]]]
OUTAGES: tuple[type[BaseException], ...] = (
    ServiceUnavailableError, StoreUnavailableError, IndexMissingError, IndexMismatchError,
    DBAPIError, PoolTimeoutError, ConnectionError, TimeoutError,
)


def is_outage(error: BaseException) -> bool:
    """Whether an exception means a backing service is unavailable (as opposed to a bug)."""
    return isinstance(error, OUTAGES)


def customer_safe(run: Run) -> Run:
    """Wrap an action's ``run`` so outages and bugs each get their own clear answer."""

    @functools.wraps(run)
    async def wrapper(self: Any, dispatcher: CollectingDispatcher, tracker: Any, domain: Any) -> list[EventType]:
        try:
            return await run(self, dispatcher, tracker, domain)
        except Exception as error:  # the customer must never be left without an answer
            conversation = getattr(tracker, "sender_id", "?")
            if is_outage(error):
                logger.warning("action %s: service unavailable for conversation %s: %s", self.name(), conversation, error)
                dispatcher.utter_message(text=TROUBLE_MESSAGE)
            else:
                logger.exception("BUG in action %s for conversation %s", self.name(), conversation)
                dispatcher.utter_message(text=BUG_MESSAGE)
            return []

    return wrapper
