"""Live delivery over Server-Sent Events: staff messages to the widget, customer messages to the console.

``LiveHub`` delivers to the listeners of this process. With several web-app replicas the customer's
stream and the member of staff who writes may be on different replicas, so ``RedisLiveHub`` sends
every event through one Redis channel that each replica reads and hands to its own listeners.
Either way a listener that misses an event while reconnecting re-reads the transcript from the
tracker, which stays the source of truth.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
KEEPALIVE_SECONDS = 15.0
CHANNEL = "shop:web:live"


class LiveHub:
    """Queues per (audience, conversation id); ``publish`` never blocks the sender."""

    def __init__(self) -> None:
        self._listeners: dict[tuple[str, str], set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)

    def publish(self, audience: str, conversation_id: str, event: dict[str, Any]) -> None:
        self.deliver(audience, conversation_id, event)

    def deliver(self, audience: str, conversation_id: str, event: dict[str, Any]) -> None:
        """Hand the event to this process's listeners of (audience, conversation)."""
        for queue in list(self._listeners.get((audience, conversation_id), ())):
            queue.put_nowait(event)

    async def start(self) -> None:
        """Nothing to start in memory."""

    async def close(self) -> None:
        """Nothing to close in memory."""

    def listeners(self, audience: str, conversation_id: str) -> int:
        return len(self._listeners.get((audience, conversation_id), ()))

    async def stream(self, audience: str, conversation_id: str, is_disconnected: Callable[[], Awaitable[bool]]) -> AsyncIterator[str]:
        """SSE frames for one listener until the client goes away."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        key = (audience, conversation_id)
        self._listeners[key].add(queue)
        try:
            yield ": connected\n\n"
            while not await is_disconnected():
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                yield f"data: {json.dumps(event)}\n\n"
        finally:
            self._listeners[key].discard(queue)
            if not self._listeners[key]:
                del self._listeners[key]


class RedisLiveHub(LiveHub):
    """A ``LiveHub`` whose events reach the listeners of every replica, through Redis pub/sub.

    ``publish`` stays synchronous and never blocks a request: events queue in order for one sender
    task. If Redis is down, events are dropped with a warning (the transcript still has them).
    """

    def __init__(self, url: str) -> None:
        super().__init__()
        self.redis = Redis.from_url(url, socket_connect_timeout=2.0)
        self._outbox: asyncio.Queue[str] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._subscribed = asyncio.Event()

    def publish(self, audience: str, conversation_id: str, event: dict[str, Any]) -> None:
        self._outbox.put_nowait(json.dumps({"audience": audience, "conversation_id": conversation_id, "event": event}))

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._send(), name="live-send"), asyncio.create_task(self._receive(), name="live-receive")]
        with contextlib.suppress(TimeoutError):  # Redis down at start: the receiver keeps trying
            await asyncio.wait_for(self._subscribed.wait(), timeout=5.0)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.redis.aclose()

    async def _send(self) -> None:
        while True:
            payload = await self._outbox.get()
            try:
                await self.redis.publish(CHANNEL, payload)
            except RedisError as error:
                logger.warning("live event not delivered (Redis: %s); listeners see it on their next reload", error)

    async def _receive(self) -> None:
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    self._subscribed.set()
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        try:
                            item = json.loads(message["data"])
                            self.deliver(str(item["audience"]), str(item["conversation_id"]), dict(item["event"]))
                        except (ValueError, KeyError, TypeError):
                            logger.warning("ignored a malformed live event from Redis")
            except RedisError as error:
                logger.warning("live events: Redis unreachable (%s); reconnecting in 1 s", error)
                await asyncio.sleep(1.0)


def live_hub_for(redis_url: str) -> LiveHub:
    """The Redis-backed hub when a URL is configured (several replicas), else this process's own."""
    return RedisLiveHub(redis_url) if redis_url else LiveHub()
