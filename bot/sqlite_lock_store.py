"""Rasa's conversation lock in a SQLite file, so that the embedded default can run several Rasa workers.

Why: Rasa runs one turn of a conversation at a time through its lock store. The in-memory store
only works inside one process, so Rasa refuses a second Sanic worker with it, and one Python
process holds a whole turn on one core (``benchmarks/turn_cost.py``). Production mode shares its
locks through Redis (``bot/lock_store.py``). The embedded default has no Redis, but it has a file
system. Here each conversation's ticket queue (Rasa's own ``TicketLock``: first come, first
served; a ticket of a crashed worker expires after the lock lifetime) is one row of a SQLite
table. Every change to a queue is one ``BEGIN IMMEDIATE`` transaction, so workers never overwrite
each other's changes. Each lock costs three short transactions per turn in write-ahead-log mode:
well under a millisecond.

Each process opens its own connection lazily: Sanic forks its workers after Rasa reads the
endpoints, and a SQLite connection must never cross a fork.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Optional, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

from shop.sqlite import tune_sqlite_connection

Result = TypeVar("Result")
# How often a waiting request looks at its queue (Rasa's default, 1 s, would add up to a second to a
# turn that queued behind another of the same conversation, e.g. a double click).
POLL_SECONDS = 0.02


class SQLiteLockStore(LockStore):
    """``LockStore`` whose ticket queues live in a SQLite file that every Rasa worker opens."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        path = endpoint_config.kwargs.get("db") or endpoint_config.url
        if not path:
            raise ValueError("SQLiteLockStore needs `db:` (the lock file) in the lock_store endpoint")
        self.path = Path(str(path))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._connection: Optional[sqlite3.Connection] = None
        self._pid = 0
        with self._transaction():
            self._db().execute("CREATE TABLE IF NOT EXISTS conversation_locks (conversation_id TEXT PRIMARY KEY, lock TEXT NOT NULL)")
        super().__init__()

    def _db(self) -> sqlite3.Connection:
        if self._connection is None or self._pid != os.getpid():
            connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            tune_sqlite_connection(connection)
            self._connection, self._pid = connection, os.getpid()
        return self._connection

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: taken before reading, so a read-modify-write is atomic across workers."""
        connection = self._db()
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    @staticmethod
    def _read(connection: sqlite3.Connection, conversation_id: str) -> Optional[TicketLock]:
        row = connection.execute("SELECT lock FROM conversation_locks WHERE conversation_id = ?", (conversation_id,)).fetchone()
        return TicketLock.from_dict(json.loads(row[0])) if row else None

    @staticmethod
    def _write(connection: sqlite3.Connection, lock: TicketLock) -> None:
        connection.execute("INSERT OR REPLACE INTO conversation_locks (conversation_id, lock) VALUES (?, ?)",
                           (lock.conversation_id, lock.dumps()))

    def _change(self, conversation_id: str, change: Callable[[TicketLock], Result], *, create: bool = False) -> Optional[Result]:
        """Apply ``change`` to the conversation's queue and store it, atomically (None when there is none)."""
        with self._transaction() as connection:
            lock = self._read(connection, conversation_id)
            if lock is None:
                if not create:
                    return None
                lock = self.create_lock(conversation_id)
            result = change(lock)
            if lock.tickets:
                self._write(connection, lock)
            else:  # nobody holds or waits for it any more
                connection.execute("DELETE FROM conversation_locks WHERE conversation_id = ?", (conversation_id,))
            return result

    def get_lock(self, conversation_id: str) -> Optional[TicketLock]:
        return self._read(self._db(), conversation_id)

    def delete_lock(self, conversation_id: str) -> None:
        with self._transaction() as connection:
            connection.execute("DELETE FROM conversation_locks WHERE conversation_id = ?", (conversation_id,))

    def save_lock(self, lock: TicketLock) -> None:
        with self._transaction() as connection:
            self._write(connection, lock)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            ticket = self._change(conversation_id, lambda lock: lock.issue_ticket(lock_lifetime), create=True)
        except sqlite3.Error as error:
            raise LockError(f"Could not issue a ticket for conversation '{conversation_id}': {error}") from error
        assert ticket is not None
        return ticket

    def update_lock(self, conversation_id: str) -> None:
        self._change(conversation_id, lambda lock: lock.remove_expired_tickets())

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self._change(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number))

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Give the ticket back; the row goes when no ticket is left (one transaction, not three)."""
        self.finish_serving(conversation_id, ticket_number)

    @contextlib.asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = POLL_SECONDS) -> AsyncIterator[TicketLock]:
        """Rasa's ticket lock, polled every ``POLL_SECONDS`` instead of every second."""
        ticket = self.issue_ticket(conversation_id, lock_lifetime)
        try:
            yield await self._acquire_lock(conversation_id, ticket, min(wait_time_in_seconds, POLL_SECONDS))
        finally:
            self.cleanup(conversation_id, ticket)
