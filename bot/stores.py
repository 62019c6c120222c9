"""The tracker store of production mode: recovers from outages and never fails silently.

Why: Rasa wraps every tracker store in ``FailSafeTrackerStore``, which on a database error logs,
answers with an empty tracker and saves the turn in process memory: the customer gets a normal
answer, the conversation's state is gone and the turn never reaches PostgreSQL. Here each failure is
recorded for the running request, so ``bot.channels.rest`` answers 503 ("one moment") instead.
``StrictSQLTrackerStore`` also tests pooled connections before use, so a PostgreSQL restart costs
no turn at all. The lock store of production mode is ``bot/lock_store.py``.

The embedded default (SQLite) uses the same store. There, the database runs in write-ahead-log
mode with ``synchronous=NORMAL``: a commit appends to the log instead of syncing the database file
and its rollback journal, which was most of the cost of saving a turn (``benchmarks/turn_cost.py``).
A crash of any process loses nothing; only a power cut can lose the last turns saved.
"""

from __future__ import annotations

import contextvars
from typing import Any, Optional

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.trackers import DialogueStateTracker

from shop.sqlite import tune_sqlite_connection

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
        if url.get_backend_name() == "sqlite":
            # SQLAlchemy 1.4 opens a new file connection per session for SQLite (NullPool); a turn
            # has several sessions. Connections are kept instead, handed to one thread at a time.
            self.engine = sa.create_engine(url, poolclass=sa.pool.QueuePool, connect_args={"check_same_thread": False})
            sa.event.listen(self.engine, "connect", tune_sqlite_connection)
        else:
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
