"""The handoff timer against a recording Rasa: one notice per timeout, however many web-app processes sweep."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker

from handoff.models import Handoff
from handoff.queue import claim, record_waiting
from shop.messages import HANDOFF_TIMEOUT_MESSAGE, OUT_OF_TURN
from shop.settings import Settings
from web.db import open_engine
from web.handoff_timer import QUEUED, customer_status, sweep, sweep_interval, time_out
from web.live import LiveHub
from web.rasa_client import RasaUnavailableError
from web.security import CustomerIds, LoginThrottle
from web.state import WEB_DIR, AppState


class RecordingRasa:
    """Stands in for ``RasaClient``: records appended events, or fails like an unreachable Rasa."""

    def __init__(self, down: bool = False, on_append: Any = None) -> None:
        self.appended: list[tuple[str, list[dict[str, Any]]]] = []
        self.down = down
        self.on_append = on_append

    async def append_events(self, sender: str, events: list[dict[str, Any]]) -> None:
        if self.down:
            raise RasaUnavailableError("Rasa is unreachable (test)")
        self.appended.append((sender, events))
        if self.on_append:
            self.on_append()


def make_state(url: str, rasa: RecordingRasa, timeout: float = 0.01) -> AppState:
    engine = open_engine(url)
    return AppState(
        settings=Settings(handoff_timeout_seconds=timeout), engine=engine, sessions=sessionmaker(engine, expire_on_commit=False),
        rasa=rasa, live=LiveHub(), customers=CustomerIds("secret"), throttle=LoginThrottle(),  # type: ignore[arg-type]
        templates=Jinja2Templates(directory=WEB_DIR / "templates"),
    )


def enqueue(state: AppState, conversation_id: str) -> int:
    """Queue a request and let the (0.01 s) timeout pass."""
    with Session(state.engine) as session, session.begin():
        handoff_id = record_waiting(session, conversation_id=conversation_id).id
    time.sleep(0.05)
    return handoff_id


def handoff(state: AppState, handoff_id: int) -> Handoff:
    with Session(state.engine) as session:
        found = session.get(Handoff, handoff_id)
        assert found is not None
        return found


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'shop.db'}"


def test_two_sweepers_tell_the_customer_once(url: str) -> None:
    replicas = [make_state(url, RecordingRasa()), make_state(url, RecordingRasa())]
    handoff_id = enqueue(replicas[0], "c1")

    # Both processes found the handoff due in the same instant; the conditional UPDATE picks one.
    told = [asyncio.run(time_out(state, handoff_id=handoff_id, conversation_id="c1")) for state in replicas]
    assert told == [True, False]
    calls = [call for state in replicas for call in state.rasa.appended]  # type: ignore[attr-defined]
    assert len(calls) == 1
    sender, events = calls[0]
    assert sender == "c1"
    assert events[0] == {"event": "bot", "text": HANDOFF_TIMEOUT_MESSAGE, "metadata": {OUT_OF_TURN: True, "handoff": "timeout"}}
    assert [e["event"] for e in events[1:]] == ["resume", "action"] and events[2]["name"] == "action_listen"
    stored = handoff(replicas[0], handoff_id)
    assert stored.status == "waiting" and stored.timed_out_at is not None and customer_status(stored) == QUEUED
    assert asyncio.run(sweep(replicas[0])) == 0  # told once, not at every sweep


def test_a_request_younger_than_the_timeout_waits(url: str) -> None:
    state = make_state(url, RecordingRasa(), timeout=60)
    enqueue(state, "c1")
    assert asyncio.run(sweep(state)) == 0 and state.rasa.appended == []  # type: ignore[attr-defined]


def test_when_rasa_is_down_the_next_sweep_tries_again(url: str) -> None:
    state = make_state(url, RecordingRasa(down=True))
    handoff_id = enqueue(state, "c1")
    with pytest.raises(RasaUnavailableError):
        asyncio.run(sweep(state))
    assert handoff(state, handoff_id).timed_out_at is None
    state.rasa.down = False  # type: ignore[attr-defined]
    assert asyncio.run(sweep(state)) == 1


def test_a_claim_during_the_resume_pauses_the_bot_again(url: str) -> None:
    rasa = RecordingRasa()
    state = make_state(url, rasa)
    handoff_id = enqueue(state, "c1")

    def staff_claims() -> None:
        rasa.on_append = None
        with Session(state.engine) as session, session.begin():
            claim(session, conversation_id="c1", username="alice")

    rasa.on_append = staff_claims
    assert asyncio.run(sweep(state)) == 1
    assert [events[-1]["event"] for _, events in rasa.appended] == ["action", "pause"]
    assert handoff(state, handoff_id).status == "active"


def test_sweeps_are_frequent_for_short_timeouts_and_bounded_for_long_ones() -> None:
    assert sweep_interval(2) == 0.5 and sweep_interval(120) == 5.0 and sweep_interval(0.1) == 0.25
