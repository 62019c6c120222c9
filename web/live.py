"""Live delivery over Server-Sent Events: staff messages to the widget, customer messages to the console.

In memory: the web app is one process and a listener that misses an event while reconnecting
re-reads the transcript from the tracker, which stays the source of truth.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

KEEPALIVE_SECONDS = 15.0


class LiveHub:
    """Queues per (audience, conversation id); ``publish`` never blocks the sender."""

    def __init__(self) -> None:
        self._listeners: dict[tuple[str, str], set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)

    def publish(self, audience: str, conversation_id: str, event: dict[str, Any]) -> None:
        for queue in list(self._listeners.get((audience, conversation_id), ())):
            queue.put_nowait(event)

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
