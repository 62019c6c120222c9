"""The production lock store against a real redis-server, with replicas played by separate processes.

What must hold: at most one turn of a conversation runs at a time across replicas, no request fails
while the queue is merely busy, a turn that runs longer than the lock lifetime keeps its lock, and a
replica that dies holding a lock blocks the conversation for about one lifetime only.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from rasa.core.lock_store import LockError
from rasa.utils.endpoints import EndpointConfig

from bot.lock_store import AtomicRedisLockStore

pytestmark = pytest.mark.slow
CONVERSATION = "customer-1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture()
def redis_port(tmp_path: Path) -> Iterator[int]:
    """A private, throwaway redis-server (no persistence) on a free loopback port."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server is missing: `scripts/setup.sh test` installs it"
    port = free_port()
    server = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                               "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline and server.poll() is None, "redis-server did not start"
            time.sleep(0.1)
    yield port
    server.kill()
    server.wait(timeout=10)


def store(port: int) -> AtomicRedisLockStore:
    return AtomicRedisLockStore(EndpointConfig(url="127.0.0.1", port=port, db=1, key_prefix="test"))


async def hold(lock_store: AtomicRedisLockStore, port: int, seconds: float, lifetime: float) -> None:
    """One turn: enter, check nobody else is inside, stay a while, leave (the check is in Redis, across processes)."""
    inside = redis.Redis(port=port, db=2)
    async with lock_store.lock(CONVERSATION, lock_lifetime=lifetime):
        if inside.incr("inside") != 1:
            inside.incr("overlaps")
        await asyncio.sleep(seconds)
        inside.decr("inside")
        inside.incr("turns")


def replica(port: int, turns: int, concurrent: int, queue: Any) -> None:
    """A replica process: ``concurrent`` requests at a time for one conversation, ``turns`` in all."""

    async def main() -> list[str]:
        lock_store = store(port)
        errors: list[str] = []

        async def request() -> None:
            try:
                await hold(lock_store, port, 0.002, lifetime=10)
            except Exception as error:  # noqa: BLE001 - every failure is what the test counts
                errors.append(f"{type(error).__name__}: {error}")

        for start in range(0, turns, concurrent):
            await asyncio.gather(*(request() for _ in range(min(concurrent, turns - start))))
        return errors

    queue.put(asyncio.run(main()))


def test_replicas_take_turns_without_errors(redis_port: int) -> None:
    """4 replica processes x 8 concurrent requests on one conversation: no overlap, no LockError, nothing left."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    processes = [context.Process(target=replica, args=(redis_port, 120, 8, queue)) for _ in range(4)]
    for process in processes:
        process.start()
    errors = [error for _ in processes for error in queue.get(timeout=240)]
    for process in processes:
        process.join(timeout=30)
    counters = redis.Redis(port=redis_port, db=2)
    assert errors == [], errors[:5]
    assert int(counters.get("turns") or 0) == 4 * 120
    assert int(counters.get("overlaps") or 0) == 0
    assert redis.Redis(port=redis_port, db=1).get("test:lock:" + CONVERSATION) is None, "the queue was not cleaned up"


def test_a_turn_longer_than_the_lifetime_keeps_its_lock(redis_port: int) -> None:
    async def scenario() -> tuple[float, float]:
        first, second = store(redis_port), store(redis_port)
        released: list[float] = []

        async def long_turn() -> None:
            await hold(first, redis_port, 3.0, lifetime=1.0)
            released.append(time.monotonic())

        holder = asyncio.create_task(long_turn())
        await asyncio.sleep(0.3)
        async with second.lock(CONVERSATION, lock_lifetime=1.0):
            entered = time.monotonic()
        await holder
        return released[0], entered

    released, entered = asyncio.run(scenario())
    assert entered >= released, "the waiting turn entered while the long turn still ran"
    assert int(redis.Redis(port=redis_port, db=2).get("overlaps") or 0) == 0


def die_holding_the_lock(port: int, lifetime: float) -> None:
    async def main() -> None:
        async with store(port).lock(CONVERSATION, lock_lifetime=lifetime):
            os._exit(0)  # a crashed replica: no cleanup runs

    asyncio.run(main())


def test_a_dead_replicas_lock_frees_itself_after_one_lifetime(redis_port: int) -> None:
    lifetime = 2.0
    process = multiprocessing.get_context("spawn").Process(target=die_holding_the_lock, args=(redis_port, lifetime))
    process.start()
    process.join(timeout=60)
    died = time.monotonic()
    assert redis.Redis(port=redis_port, db=1).get("test:lock:" + CONVERSATION) is not None, "the dead holder left no ticket"

    async def next_turn() -> float:
        async with store(redis_port).lock(CONVERSATION, lock_lifetime=lifetime):
            return time.monotonic()

    waited = asyncio.run(next_turn()) - died
    assert 0.5 < waited < lifetime + 1.5, waited


def test_redis_down_is_a_lock_error_at_once() -> None:
    async def attempt() -> None:
        async with store(free_port()).lock(CONVERSATION):
            pass

    started = time.monotonic()
    with pytest.raises(LockError):
        asyncio.run(attempt())
    assert time.monotonic() - started < 5
