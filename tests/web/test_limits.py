"""Rate limits, login throttling and live messages shared across replicas (Redis), and exactly-once turns."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import sessionmaker

from web.limits import LimitsUnavailableError, LoginThrottle, MemoryCounters, RateLimiter, RedisCounters
from web.turns import MessageReusedError, answer_once

needs_redis = pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server not installed (scripts/setup.sh test)")


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from shop.ops.redis_server import RedisServer
    from shop.ops.stack import free_port

    server = RedisServer(tmp_path_factory.mktemp("redis"), free_port(), "test-password")
    server.start()
    try:
        yield server.url(2)
    finally:
        server.stop()


def test_a_limit_allows_exactly_its_count_per_window() -> None:
    limiter = RateLimiter(MemoryCounters())
    verdicts = [limiter.retry_after("customer", "ann", limit=3, window=60) for _ in range(5)]
    assert verdicts[:3] == [0, 0, 0] and all(0 < wait <= 60 for wait in verdicts[3:])
    assert limiter.retry_after("customer", "bob", limit=3, window=60) == 0  # per key


def test_a_window_ends() -> None:
    limiter = RateLimiter(MemoryCounters())
    assert [limiter.retry_after("ip", "1.2.3.4", limit=1, window=0.2) for _ in range(2)] == [0, 1]
    asyncio.run(asyncio.sleep(0.25))
    assert limiter.retry_after("ip", "1.2.3.4", limit=1, window=0.2) == 0


@needs_redis
def test_replicas_share_one_budget_through_redis(redis_url: str) -> None:
    """Two web-app replicas (two clients of one Redis) together grant the limit once, not twice."""
    first, second = RateLimiter(RedisCounters(redis_url)), RateLimiter(RedisCounters(redis_url))
    verdicts = [(first if n % 2 else second).retry_after("customer", "shared", limit=4, window=60) for n in range(8)]
    assert verdicts.count(0) == 4 and verdicts[:4] == [0, 0, 0, 0]


@needs_redis
def test_login_throttle_is_shared_and_cleared_through_redis(redis_url: str) -> None:
    one, two = LoginThrottle(limit=2, window=60, counters=RedisCounters(redis_url)), LoginThrottle(limit=2, window=60, counters=RedisCounters(redis_url))
    one.failed("Ann", "10.0.0.1")
    two.failed("ann", "10.0.0.1")
    assert one.retry_after("ann", "10.0.0.1") > 0 and two.retry_after("ANN", "10.0.0.1") > 0
    assert two.retry_after("ann", "10.0.0.2") == 0
    one.succeeded("ann", "10.0.0.1")
    assert two.retry_after("ann", "10.0.0.1") == 0


def test_unreachable_redis_refuses_instead_of_waving_through() -> None:
    from shop.ops.stack import free_port

    limiter = RateLimiter(RedisCounters(f"redis://127.0.0.1:{free_port()}/2"))
    with pytest.raises(LimitsUnavailableError):
        limiter.retry_after("ip", "1.2.3.4", limit=10, window=60)


@needs_redis
def test_live_events_reach_listeners_on_another_replica(redis_url: str) -> None:
    """Staff write on one replica, the customer's stream is on the other."""
    from web.live import RedisLiveHub

    async def scenario() -> list[str]:
        writer, reader = RedisLiveHub(redis_url), RedisLiveHub(redis_url)
        await writer.start()
        await reader.start()
        try:
            disconnected = asyncio.Event()
            stream = reader.stream("customer", "web-1", lambda: _is_set(disconnected))
            frames = [await anext(stream)]  # ": connected": the listener is registered
            writer.publish("customer", "web-1", {"type": "message", "message": {"text": "hello from staff"}})
            writer.publish("customer", "web-2", {"type": "message", "message": {"text": "for someone else"}})
            frames.append(await asyncio.wait_for(anext(stream), timeout=5))
            disconnected.set()
            await stream.aclose()
            return frames
        finally:
            await writer.close()
            await reader.close()

    frames = asyncio.run(scenario())
    assert frames[0] == ": connected\n\n" and "hello from staff" in frames[1] and "someone else" not in frames[1]


async def _is_set(event: asyncio.Event) -> bool:
    return event.is_set()


# ---------- exactly-once turns ----------


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Any]:
    from web.db import open_engine

    return sessionmaker(open_engine(f"sqlite:///{tmp_path / 'shop.db'}"), expire_on_commit=False)


def test_a_repeated_message_gets_the_first_answer_and_runs_once(sessions: sessionmaker[Any]) -> None:
    runs: list[int] = []

    async def run() -> dict[str, Any]:
        runs.append(1)
        await asyncio.sleep(0.3)  # the first request is still running when the repeats arrive
        return {"messages": [{"text": f"answer {len(runs)}"}], "handoff": None}

    async def scenario() -> list[tuple[dict[str, Any], bool]]:
        calls = [answer_once(sessions, customer_id="ann", message_id="m-1", text="hi", request_timeout=5, run=run) for _ in range(4)]
        results = list(await asyncio.gather(*calls))
        results.append(await answer_once(sessions, customer_id="ann", message_id="m-1", text="hi", request_timeout=5, run=run))
        return results

    results = asyncio.run(scenario())
    assert len(runs) == 1
    assert [fresh for _, fresh in results].count(True) == 1
    assert all(answer == {"messages": [{"text": "answer 1"}], "handoff": None} for answer, _ in results)


def test_a_failed_turn_can_be_retried_and_ids_are_per_customer(sessions: sessionmaker[Any]) -> None:
    attempts: list[int] = []

    async def flaky() -> dict[str, Any]:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("Rasa down")
        return {"messages": [], "handoff": None}

    async def scenario() -> None:
        with pytest.raises(RuntimeError):
            await answer_once(sessions, customer_id="bo", message_id="m-1", text="hi", request_timeout=5, run=flaky)
        assert (await answer_once(sessions, customer_id="bo", message_id="m-1", text="hi", request_timeout=5, run=flaky))[1]
        # Another customer's message with the same id is another message.
        assert (await answer_once(sessions, customer_id="cy", message_id="m-1", text="hi", request_timeout=5, run=flaky))[1]
        with pytest.raises(MessageReusedError):
            await answer_once(sessions, customer_id="bo", message_id="m-1", text="something else", request_timeout=5, run=flaky)

    asyncio.run(scenario())
    assert len(attempts) == 3


def test_a_turn_whose_request_died_is_taken_over(sessions: sessionmaker[Any]) -> None:
    """A pending row older than any live request (its web app was killed) does not block the message for ever."""
    from datetime import timedelta

    from handoff.models import utcnow
    from web.models import ChatTurn
    from web.turns import PENDING, text_digest

    with sessions() as db, db.begin():
        db.add(ChatTurn(customer_id="di", message_id="m-1", text_hash=text_digest("hi"), status=PENDING, owner="dead",
                        created_at=utcnow() - timedelta(minutes=5), updated_at=utcnow() - timedelta(minutes=5)))

    async def run() -> dict[str, Any]:
        return {"messages": [{"text": "taken over"}], "handoff": None}

    answer, fresh = asyncio.run(answer_once(sessions, customer_id="di", message_id="m-1", text="hi", request_timeout=1, run=run))
    assert fresh and answer["messages"] == [{"text": "taken over"}]
