"""The turn profiler: exclusive stage times that add up to the request, one JSON line per request."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from benchmarks.turn_stages import stage_table
from shop import turn_profile


class Work:
    def outer(self) -> None:
        time.sleep(0.02)
        self.inner()

    def inner(self) -> None:
        time.sleep(0.03)

    async def call(self) -> str:
        await asyncio.sleep(0.01)
        return "done"


def test_nested_stages_are_exclusive_and_add_up_to_the_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "profile.jsonl"
    monkeypatch.setenv(turn_profile.PROFILE_VARIABLE, str(out))
    monkeypatch.setattr(Work, "outer", Work.outer)  # undone after the test
    monkeypatch.setattr(Work, "inner", Work.inner)
    monkeypatch.setattr(Work, "call", Work.call)
    turn_profile.wrap(Work, "outer", "outer")
    turn_profile.wrap(Work, "inner", "inner")
    turn_profile.wrap(Work, "call", "call")

    async def request() -> str:
        token = turn_profile.begin("rasa turn")
        Work().outer()
        answer = await Work().call()
        turn_profile.finish(token, status=200)
        return answer

    assert asyncio.run(request()) == "done"
    record = json.loads(out.read_text())
    stages = record["stages"]
    assert 25 <= stages["inner"] < 60 and 15 <= stages["outer"] < 35  # outer's own 20 ms, not its 50
    assert 8 <= stages["call"] < 40
    assert sum(stages.values()) == pytest.approx(record["total_ms"], abs=0.1)
    assert record["calls"] == {"outer": 1, "inner": 1, "call": 1} and record["status"] == 200


def test_outside_a_timed_request_nothing_is_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "profile.jsonl"
    monkeypatch.setenv(turn_profile.PROFILE_VARIABLE, str(out))
    monkeypatch.setattr(Work, "inner", Work.inner)
    turn_profile.wrap(Work, "inner", "inner")
    Work().inner()
    assert not out.exists()


def test_the_stage_table_puts_action_server_time_inside_the_http_hop() -> None:
    records = [
        {"kind": "rasa turn", "status": 200, "total_ms": 20.0, "stages": {"NLU": 4.0, "action call: HTTP round trip": 10.0, "other": 6.0}},
        {"kind": "rasa turn", "status": 200, "total_ms": 30.0, "stages": {"NLU": 6.0, "action call: HTTP round trip": 14.0, "other": 10.0}},
        {"kind": "action call", "total_ms": 9.0, "stages": {"search": 7.0, "other": 2.0}},
        {"kind": "action call", "total_ms": 11.0, "stages": {"search": 9.0, "other": 2.0}},
        {"kind": "rasa turn", "status": 503, "total_ms": 1.0, "stages": {"other": 1.0}},  # failed turns are not laid out
    ]
    table = stage_table(records)
    assert table["turns"] == 2 and table["turn_mean_ms"] == 25.0
    assert table["rasa_ms_per_turn"]["action call: HTTP round trip"] == 12.0
    assert table["action_server_ms_per_turn"]["search"] == 8.0
    assert table["action_hop_ms_per_turn"] == 2.0  # 12 ms round trip, 10 ms of it in the action server


def test_the_middleware_times_only_posts_to_its_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    out = tmp_path / "profile.jsonl"
    monkeypatch.setenv(turn_profile.PROFILE_VARIABLE, str(out))
    on_request, on_response = turn_profile.request_middleware("action call", "/webhook", lambda request: {"action": "x"})

    async def serve(method: str, path: str) -> None:
        request = SimpleNamespace(method=method, path=path, ctx=SimpleNamespace())
        await on_request(request)
        await asyncio.sleep(0.005)
        await on_response(request, SimpleNamespace(status=200))

    asyncio.run(serve("GET", "/health"))
    asyncio.run(serve("POST", "/webhook"))
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["kind"], r["action"], r["status"]) for r in records] == [("action call", "x", 200)]
    assert records[0]["total_ms"] >= 4
