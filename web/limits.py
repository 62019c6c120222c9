"""Counting requests in fixed windows: rate limits per customer and per address, login throttling.

Why two stores: one web-app process counts in memory; several replicas (production mode, Kubernetes)
must share the counts, or each replica would grant the whole limit again and N replicas would let
N times the traffic through. ``RedisCounters`` keeps them in Redis: one ``INCR`` per request, the
window's expiry set by the first hit, so every replica sees the same number and no lock is needed.

Fixed windows, not a sliding log: one counter per key is all Redis has to hold. The price is that a
client can spend one window's budget at its very end and the next at the start of the next window
(twice the limit within a moment), which a per-minute chat limit can afford.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Protocol

from redis import Redis
from redis.exceptions import RedisError

KEY_PREFIX = "shop:web:"


class LimitsUnavailableError(RuntimeError):
    """The shared counters (Redis) cannot be reached; the request is refused with 503, never waved through."""


class Counters(Protocol):
    """Counters that reset ``window`` seconds after their first hit."""

    def hit(self, key: str, window: float) -> tuple[int, float]:
        """Count one more; returns (the count now, seconds until the window ends)."""

    def peek(self, key: str) -> tuple[int, float]:
        """(count, seconds until the window ends) without counting; (0, 0) when none."""

    def clear(self, key: str) -> None:
        """Forget the key's count."""


class MemoryCounters:
    """Counters of this process (one web-app replica, tests)."""

    def __init__(self) -> None:
        self._counts: dict[str, tuple[int, float]] = {}  # key -> (count, monotonic end of window)
        self._lock = threading.Lock()
        self._next_purge = 0.0

    def _current(self, key: str, now: float) -> tuple[int, float]:
        count, ends = self._counts.get(key, (0, 0.0))
        return (count, ends) if ends > now else (0, 0.0)

    def hit(self, key: str, window: float) -> tuple[int, float]:
        now = time.monotonic()
        with self._lock:
            self._purge(now)
            count, ends = self._current(key, now)
            ends = ends or now + window
            self._counts[key] = (count + 1, ends)
            return count + 1, ends - now

    def peek(self, key: str) -> tuple[int, float]:
        now = time.monotonic()
        with self._lock:
            count, ends = self._current(key, now)
            return count, max(0.0, ends - now)

    def clear(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)

    def _purge(self, now: float) -> None:
        """Drop ended windows now and then, so a stream of new addresses cannot grow the dict for ever."""
        if now < self._next_purge:
            return
        self._next_purge = now + 60.0
        for key in [k for k, (_, ends) in self._counts.items() if ends <= now]:
            del self._counts[key]


class RedisCounters:
    """Counters in Redis, shared by every web-app replica."""

    def __init__(self, url: str) -> None:
        self.redis = Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0, health_check_interval=30)

    def hit(self, key: str, window: float) -> tuple[int, float]:
        name = KEY_PREFIX + key
        try:
            pipe = self.redis.pipeline(transaction=True)
            pipe.incr(name)
            pipe.pexpire(name, max(1, int(window * 1000)), nx=True)  # only the first hit starts the window
            pipe.pttl(name)
            count, _, ttl = pipe.execute()
        except RedisError as error:
            raise LimitsUnavailableError(f"Redis of the rate limits: {error}") from error
        return int(count), max(0.0, int(ttl) / 1000)

    def peek(self, key: str) -> tuple[int, float]:
        name = KEY_PREFIX + key
        try:
            pipe = self.redis.pipeline(transaction=True)
            pipe.get(name)
            pipe.pttl(name)
            value, ttl = pipe.execute()
        except RedisError as error:
            raise LimitsUnavailableError(f"Redis of the rate limits: {error}") from error
        return (int(value), max(0.0, int(ttl) / 1000)) if value is not None else (0, 0.0)

    def clear(self, key: str) -> None:
        try:
            self.redis.delete(KEY_PREFIX + key)
        except RedisError as error:
            raise LimitsUnavailableError(f"Redis of the rate limits: {error}") from error

    def close(self) -> None:
        self.redis.close()


def counters_for(redis_url: str) -> Counters:
    """Redis counters when a URL is configured, else this process's own."""
    return RedisCounters(redis_url) if redis_url else MemoryCounters()


class RateLimiter:
    """At most ``limit`` requests per ``window`` seconds for each (scope, who)."""

    def __init__(self, counters: Counters) -> None:
        self.counters = counters

    def retry_after(self, scope: str, who: str, *, limit: int, window: float) -> int:
        """Count this request; 0 when allowed, else the seconds until the client may try again."""
        count, left = self.counters.hit(f"rate:{scope}:{who}", window)
        return 0 if count <= limit else max(1, math.ceil(left))


class LoginThrottle:
    """At most ``limit`` failed logins per (username, client address) within ``window`` seconds."""

    def __init__(self, limit: int = 5, window: float = 300.0, counters: Counters | None = None) -> None:
        self.limit = limit
        self.window = window
        self.counters = counters or MemoryCounters()

    @staticmethod
    def _key(username: str, address: str) -> str:
        return f"login:{username.lower()}:{address}"

    def retry_after(self, username: str, address: str) -> int:
        """Seconds until another attempt is allowed (0 = allowed now)."""
        count, left = self.counters.peek(self._key(username, address))
        return 0 if count < self.limit else max(1, math.ceil(left))

    def failed(self, username: str, address: str) -> None:
        self.counters.hit(self._key(username, address), self.window)

    def succeeded(self, username: str, address: str) -> None:
        self.counters.clear(self._key(username, address))
