"""Rasa's Redis lock store made safe for several replicas: atomic queue updates and renewed leases.

Why: each conversation has a queue of tickets in Redis, and the first ticket may run a turn. Stock
``RedisLockStore`` changes that queue by GET, edit in Python, SET. When two replicas do so at once,
one overwrites the other's change: a new request's ticket is erased by another request's cleanup,
so it fails with ``LockError`` (the customer gets "having trouble" on a plain "hi"), or two requests
draw the same ticket number and run turns of one conversation at the same time, interleaving their
events in the tracker. Tickets also expire after ``TICKET_LOCK_LIFETIME`` whether or not their
request is alive: a waiting request loses its place, and a slow turn lets the next one in.

Here every change of a queue is one optimistic Redis transaction (WATCH / MULTI / EXEC, redone on
conflict), so no change is lost; ticket numbers come from one Redis counter, so they never repeat;
a live request renews its ticket (while waiting, and from a heartbeat while it holds the lock), so
only the ticket of a crashed replica runs out, after the lock lifetime. The queue's key carries a
TTL, so an abandoned queue removes itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Optional, TypeVar

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig
from redis.exceptions import WatchError

logger = logging.getLogger(__name__)
Result = TypeVar("Result")

# How often a waiting request looks at the queue (Rasa's own default of 1 s adds up to a second
# to every turn that had to queue, e.g. a double click).
POLL_SECONDS = 0.05
# Conflicting writers on one queue are a handful of requests; this many lost races means Redis misbehaves.
MAX_CONFLICTS = 100


@dataclass
class Lease:
    """A request's place in a conversation's queue (its ticket number may change if it had to rejoin)."""

    conversation_id: str
    ticket: int
    lifetime: float


class AtomicRedisLockStore(RedisLockStore):
    """``RedisLockStore`` whose queue changes are Redis transactions and whose live tickets never expire."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        options = endpoint_config.kwargs
        super().__init__(
            host=endpoint_config.url or "localhost", port=int(options.get("port", 6379)), db=int(options.get("db", 1)),
            password=options.get("password"), key_prefix=options.get("key_prefix"),
        )
        self.sequence_key = self.key_prefix + "ticket-sequence"

    # --- the queue, changed only inside a transaction -------------------------------------------

    def _transact(self, conversation_id: str, change: Callable[[TicketLock], Result]) -> Result:
        """Apply ``change`` to the conversation's queue atomically; expired tickets are dropped on the way."""
        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            for _ in range(MAX_CONFLICTS):
                try:
                    pipe.watch(key)
                    stored = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(stored)) if stored else self.create_lock(conversation_id)
                    result = change(lock)
                    lock.remove_expired_tickets()
                    pipe.multi()
                    if lock.tickets:
                        last_expiry = max(ticket.expires for ticket in lock.tickets)
                        pipe.set(key, lock.dumps(), px=max(1, int((last_expiry - time.time()) * 1000)))
                    else:
                        pipe.delete(key)
                    pipe.execute()
                    return result
                except WatchError:
                    continue
        raise LockError(f"The lock queue of conversation '{conversation_id}' kept changing under {MAX_CONFLICTS} attempts.")

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Join the back of the queue with a ticket number never issued before."""
        try:
            number = int(self.red.incr(self.sequence_key))
            self._transact(conversation_id, lambda lock: lock.tickets.append(Ticket(number, time.time() + lock_lifetime)))
        except LockError:
            raise
        except Exception as error:  # Redis down or unreachable: Rasa expects LockError here
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error
        return number

    def _renew(self, lease: Lease, *, rejoin: bool) -> bool:
        """Extend the lease's ticket; return whether it is first in the queue.

        A ticket that ran out (this process stalled longer than the lifetime) rejoins at the back
        with a new number when ``rejoin`` is set, since its old place may have been served.
        """

        def renew(lock: TicketLock) -> bool:
            lock.remove_expired_tickets()
            mine = next((ticket for ticket in lock.tickets if ticket.number == lease.ticket), None)
            if mine is not None:
                mine.expires = time.time() + lease.lifetime
            elif rejoin:
                number = int(self.red.incr(self.sequence_key))
                logger.warning("ticket %s of conversation %s ran out while waiting; rejoining the queue",
                               lease.ticket, lease.conversation_id)
                lease.ticket = number
                lock.tickets.append(Ticket(number, time.time() + lease.lifetime))
            else:
                return False
            return lock.now_serving == lease.ticket

        return self._transact(lease.conversation_id, renew)

    def update_lock(self, conversation_id: str) -> None:
        self._transact(conversation_id, lambda lock: None)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Leave the queue. The turn is done and stored by now: a failure here only delays the next
        turn until the ticket runs out, so it is logged rather than turned into an error."""
        try:
            self._transact(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number))
        except Exception:
            logger.exception("could not release the lock of conversation %s; it frees itself when the ticket runs out",
                             conversation_id)

    # --- what Rasa calls -------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def lock(
        self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = 1,
    ) -> AsyncIterator[TicketLock]:
        """Wait for this conversation's turn, hold it while the body runs (renewing), then leave."""
        lease = Lease(conversation_id, self.issue_ticket(conversation_id, lock_lifetime), lock_lifetime)
        heartbeat: Optional[asyncio.Task[None]] = None
        try:
            await self._wait_for_turn(lease, min(wait_time_in_seconds, POLL_SECONDS))
            heartbeat = asyncio.create_task(self._keep_alive(lease))
            yield TicketLock(conversation_id)
        finally:
            if heartbeat is not None:
                heartbeat.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await heartbeat
            self.cleanup(conversation_id, lease.ticket)

    async def _wait_for_turn(self, lease: Lease, poll_seconds: float) -> None:
        try:
            while not self._renew(lease, rejoin=True):
                await asyncio.sleep(poll_seconds)
        except LockError:
            raise
        except Exception as error:
            raise LockError(f"Could not acquire lock for conversation_id '{lease.conversation_id}': {error}") from error

    async def _keep_alive(self, lease: Lease) -> None:
        """Renew the held ticket a few times per lifetime, so that only a dead holder's ticket expires."""
        while True:
            await asyncio.sleep(lease.lifetime / 3)
            try:
                if not self._renew(lease, rejoin=False):
                    logger.error("lock of conversation %s was lost while its turn ran (stalled > %.0fs)",
                                 lease.conversation_id, lease.lifetime)
                    return
            except Exception:  # Redis down: the turn goes on; its end will report the store failure
                logger.exception("could not renew the lock of conversation %s", lease.conversation_id)
