"""The SQLite lock store of the embedded default: one turn per conversation across worker processes."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from pathlib import Path
from typing import Any

import pytest
from rasa.core.lock_store import LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

from bot.sqlite_lock_store import SQLiteLockStore


def _store(path: Path) -> SQLiteLockStore:
    return SQLiteLockStore(EndpointConfig(type="bot.sqlite_lock_store.SQLiteLockStore", db=str(path)))


def test_rasa_builds_it_from_the_endpoint_and_allows_several_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rasa.core.utils import number_of_sanic_workers

    endpoint = EndpointConfig(type="bot.sqlite_lock_store.SQLiteLockStore", db=str(tmp_path / "locks.db"))
    assert isinstance(LockStore.create(endpoint), SQLiteLockStore)
    monkeypatch.setenv("SANIC_WORKERS", "2")
    assert number_of_sanic_workers(endpoint) == 2


def test_a_second_worker_waits_for_the_first_and_the_queue_is_first_come_first_served(tmp_path: Path) -> None:
    first, second = _store(tmp_path / "locks.db"), _store(tmp_path / "locks.db")  # two workers, one file
    order: list[str] = []

    async def turn(store: SQLiteLockStore, name: str, hold: float) -> None:
        async with store.lock("customer-1"):
            order.append(f"{name} in")
            await asyncio.sleep(hold)
            order.append(f"{name} out")

    async def both() -> None:
        a = asyncio.create_task(turn(first, "a", 0.2))
        await asyncio.sleep(0.02)  # a's ticket is issued first
        b = asyncio.create_task(turn(second, "b", 0.0))
        await asyncio.gather(a, b)

    asyncio.run(both())
    assert order == ["a in", "a out", "b in", "b out"]
    assert first.get_lock("customer-1") is None  # nothing left behind
    other = asyncio.run(_holds(second, "customer-2"))  # other conversations are not held up
    assert other


async def _holds(store: SQLiteLockStore, conversation: str) -> bool:
    async with store.lock(conversation) as lock:
        return not lock.is_locked(lock.last_issued)


def test_the_ticket_of_a_crashed_worker_expires(tmp_path: Path) -> None:
    crashed, alive = _store(tmp_path / "locks.db"), _store(tmp_path / "locks.db")
    crashed.issue_ticket("customer-1", lock_lifetime=0.2)  # never given back
    started = time.monotonic()
    assert asyncio.run(_holds(alive, "customer-1"))
    assert 0.15 < time.monotonic() - started < 2.0


def test_a_lock_file_that_cannot_be_written_is_a_lock_error(tmp_path: Path) -> None:
    store = _store(tmp_path / "locks.db")
    store._db().execute("DROP TABLE conversation_locks")
    with pytest.raises(LockError):
        store.issue_ticket("customer-1")


def _worker(path: str, holders: Any, clashes: Any, turns: int) -> None:
    """One worker process: ``turns`` turns of one conversation, counting when another holds it too."""
    store = _store(Path(path))

    async def run() -> None:
        for _ in range(turns):
            async with store.lock("busy-customer"):
                with holders.get_lock():
                    holders.value += 1
                    if holders.value > 1:
                        clashes.value += 1
                await asyncio.sleep(0.002)
                with holders.get_lock():
                    holders.value -= 1

    asyncio.run(run())


@pytest.mark.slow
def test_workers_in_separate_processes_never_hold_one_conversation_at_once(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")  # as Sanic starts its workers
    holders, clashes = context.Value("i", 0), context.Value("i", 0)
    workers = [context.Process(target=_worker, args=(str(tmp_path / "locks.db"), holders, clashes, 40)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0, 0, 0]
    assert clashes.value == 0
    assert _store(tmp_path / "locks.db").get_lock("busy-customer") is None
