"""The handoff queue: its schema whoever creates it first, and the transitions two processes may race for."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import Session

from handoff.db import migrate
from handoff.models import Handoff, utcnow
from handoff.queue import (
    ClaimConflictError,
    claim,
    clear_timed_out,
    due_for_timeout,
    list_open,
    mark_timed_out,
    record_waiting,
)
from retrieval.store import make_engine


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


def columns(engine: Engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("handoffs")}


def test_the_action_server_first_then_the_web_app(tmp_path: Path) -> None:
    from web.db import open_engine

    url = f"sqlite:///{tmp_path / 'shop.db'}"
    migrate(make_engine(url))  # the first handoff arrived before the web app ever started
    engine = open_engine(url)
    assert "timed_out_at" in columns(engine)
    assert {"staff_accounts", "handoff_alembic_version", "web_alembic_version"} <= set(inspect(engine).get_table_names())


def test_a_table_of_the_earlier_console_migration_is_kept_and_extended(tmp_path: Path) -> None:
    """Databases of earlier versions got ``handoffs`` from the console's first revision."""
    engine = make_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    with engine.begin() as connection:
        connection.execute(text(
            "CREATE TABLE handoffs (id INTEGER PRIMARY KEY, conversation_id VARCHAR(128) NOT NULL, status VARCHAR(16) NOT NULL, "
            "claimed_by VARCHAR(64), created_at DATETIME NOT NULL, claimed_at DATETIME, closed_at DATETIME)"
        ))
        connection.execute(text("INSERT INTO handoffs (conversation_id, status, created_at) VALUES ('web-1', 'waiting', '2026-01-01 10:00:00')"))
    migrate(engine)
    migrate(engine)  # idempotent
    assert "timed_out_at" in columns(engine)
    with Session(engine) as session:
        assert [(h.conversation_id, h.status, h.timed_out_at) for h in list_open(session)] == [("web-1", "waiting", None)]


def test_one_open_handoff_per_conversation(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        first = record_waiting(session, conversation_id="c1")
        assert record_waiting(session, conversation_id="c1").id == first.id
        assert record_waiting(session, conversation_id="c2").id != first.id


def test_only_one_of_two_claims_wins(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        record_waiting(session, conversation_id="c1")
    with Session(engine) as alice, alice.begin():
        assert claim(alice, conversation_id="c1", username="alice") is not None
    with Session(engine) as bob, bob.begin(), pytest.raises(ClaimConflictError, match="alice"):
        claim(bob, conversation_id="c1", username="bob")


def test_a_timeout_is_recorded_once_and_a_claim_still_works_after_it(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        handoff_id = record_waiting(session, conversation_id="c1").id
        record_waiting(session, conversation_id="c2")
    later = utcnow() + timedelta(seconds=1)
    with Session(engine) as session:
        assert [h.conversation_id for h in due_for_timeout(session, requested_before=later)] == ["c1", "c2"]
        assert due_for_timeout(session, requested_before=utcnow() - timedelta(hours=1)) == []
    with Session(engine) as first, first.begin():
        assert mark_timed_out(first, handoff_id=handoff_id, at=utcnow())
    with Session(engine) as second, second.begin():  # another web-app process, a moment later
        assert not mark_timed_out(second, handoff_id=handoff_id, at=utcnow())
    with Session(engine) as session, session.begin():
        assert [h.conversation_id for h in due_for_timeout(session, requested_before=later)] == ["c2"]
        timed_out = session.get(Handoff, handoff_id)
        assert timed_out is not None and timed_out.status == "waiting" and timed_out.timed_out_at is not None
        assert record_waiting(session, conversation_id="c1").id == handoff_id  # asking again keeps the queued request
        claimed = claim(session, conversation_id="c1", username="alice")
        assert claimed is not None and claimed.status == "active"


def test_a_claimed_handoff_never_times_out(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        handoff_id = record_waiting(session, conversation_id="c1").id
        claim(session, conversation_id="c1", username="alice")
    with Session(engine) as session, session.begin():
        assert due_for_timeout(session, requested_before=utcnow() + timedelta(seconds=1)) == []
        assert not mark_timed_out(session, handoff_id=handoff_id, at=utcnow())


def test_a_timeout_the_customer_never_heard_of_is_undone(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        handoff_id = record_waiting(session, conversation_id="c1").id
        assert mark_timed_out(session, handoff_id=handoff_id, at=utcnow())
        clear_timed_out(session, handoff_id=handoff_id)
    with Session(engine) as session:
        assert [h.id for h in due_for_timeout(session, requested_before=utcnow() + timedelta(seconds=1))] == [handoff_id]


def test_one_handoff_per_customer_message_even_once_closed(engine: Engine) -> None:
    """A turn that runs again (a replica died mid-turn) finds its row instead of queueing a second one."""
    from handoff.queue import close

    with Session(engine) as session, session.begin():
        first = record_waiting(session, conversation_id="c1", message_id="m-1")
        first_id = first.id
        assert first.message_id == "m-1"
        again = record_waiting(session, conversation_id="c1", message_id="m-1")
        assert again.id == first_id
        close(session, handoff=first)
    with Session(engine) as session, session.begin():
        replayed = record_waiting(session, conversation_id="c1", message_id="m-1")  # the old message again
        assert replayed.id == first_id and replayed.status == "closed"
        fresh = record_waiting(session, conversation_id="c1", message_id="m-2")  # a new request
        assert fresh.id != first_id and fresh.status == "waiting"
    with Session(engine) as session:
        assert session.query(Handoff).filter_by(conversation_id="c1").count() == 2


def test_the_unique_key_stops_a_concurrent_second_insert(engine: Engine) -> None:
    """Two runs of one message that both found nothing: the database lets only one row in."""
    from sqlalchemy.exc import IntegrityError

    with Session(engine) as session, session.begin():
        session.add(Handoff(conversation_id="c2", status="closed", message_id="m-1"))
    with pytest.raises(IntegrityError), Session(engine) as session, session.begin():
        session.add(Handoff(conversation_id="c2", status="waiting", message_id="m-1"))


def test_the_handoff_action_queues_under_the_customers_message_id(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio
    from types import SimpleNamespace

    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    import actions.handoff

    calls: list[tuple[str, str | None]] = []
    monkeypatch.setattr(actions.handoff, "enqueue", lambda conversation, message: calls.append((conversation, message))
                        or SimpleNamespace(timed_out_at=None))
    tracker = Tracker("ann", {}, {"text": "/request_human", "metadata": {"message_id": "msg-3"}}, [], False, None, {}, "action_listen")
    events = asyncio.run(actions.handoff.ActionHandoffToHuman().run(CollectingDispatcher(), tracker, {}))
    assert calls == [("ann", "msg-3")] and events and events[0]["event"] == "pause"
