"""Tracker and lock stores of production mode that recover from outages and never fail silently.

Why: Rasa wraps every tracker store in ``FailSafeTrackerStore``, which on a database error logs,
answers with an empty tracker and saves the turn in process memory: the customer gets a normal
answer, the conversation's state is gone and the turn never reaches PostgreSQL. Here each failure is
recorded for the running request, so ``bot.channels.rest`` answers 503 ("one moment") instead.
``StrictSQLTrackerStore`` also tests pooled connections before use, so a PostgreSQL restart costs
no turn at all. ``RenewingRedisLockStore`` fixes a wait that never ends: when a replica dies holding
a conversation's lock, the next request's own ticket can expire while it waits for the dead one,
and stock Rasa then waits until the request times out.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from typing import Any, Optional

import sqlalchemy as sa
from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

# Failures of the stores during the request being handled (set by bot.channels.rest per request).
STORE_FAILURES: contextvars.ContextVar[Optional[list[str]]] = contextvars.ContextVar("store_failures", default=None)


def record_failure(what: str) -> None:
    failures = STORE_FAILURES.get()
    if failures is not None:
        failures.append(what)


class StrictSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` with connection pre-ping whose errors the channel gets to see."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        try:
            return await super().retrieve(sender_id)
        except Exception:
            record_failure("tracker store: retrieve")
            raise

    async def retrieve_full_tracker(self, conversation_id: str) -> Optional[DialogueStateTracker]:
        try:
            return await super().retrieve_full_tracker(conversation_id)
        except Exception:
            record_failure("tracker store: retrieve")
            raise

    async def save(self, tracker: DialogueStateTracker) -> None:
        try:
            await super().save(tracker)
        except Exception:
            record_failure("tracker store: save")
            raise


class RenewingRedisLockStore(RedisLockStore):
    """``RedisLockStore`` whose waiting requests renew their own ticket instead of waiting forever."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        options = endpoint_config.kwargs
        super().__init__(
            host=endpoint_config.url or "localhost", port=int(options.get("port", 6379)), db=int(options.get("db", 1)),
            password=options.get("password"), key_prefix=options.get("key_prefix"),
        )

    async def _acquire_lock(self, conversation_id: str, ticket: int, wait_time_in_seconds: float) -> TicketLock:
        while True:
            lock = self.get_lock(conversation_id)
            if not lock:
                break
            if all(issued.number != ticket for issued in lock.tickets):  # ours expired while we waited
                lock.tickets.append(Ticket(ticket, time.time() + LOCK_LIFETIME))
                self.save_lock(lock)
            if not lock.is_locked(ticket):
                return lock
            await asyncio.sleep(wait_time_in_seconds)
            self.update_lock(conversation_id)
        raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
