"""Reactions are stored once per customer message, however often the turn that records them runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from retrieval.feedback import FeedbackStore, Reaction, reactions_of
from retrieval.store import make_engine, migrate


@pytest.fixture
def store(tmp_path: Path) -> FeedbackStore:
    engine = make_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    migrate(engine)
    return FeedbackStore(engine)


def test_a_turn_run_twice_stores_each_reaction_once(store: FeedbackStore) -> None:
    for _ in range(2):  # the same turn, run again (a replica killed mid-turn, an action call re-sent)
        with reactions_of("msg-1"):
            store.record(customer_id="ann", conversation_id="ann:1", kind=Reaction.ADD_TO_CART, product_id="7", turn=3)
            store.record(customer_id="ann", conversation_id="ann:1", kind=Reaction.ADD_TO_CART, product_id="8", turn=3)
    assert store.count(customer_id="ann") == 2
    with reactions_of("msg-2"):  # the next message adds the same product again: a new row
        assert store.record(customer_id="ann", conversation_id="ann:1", kind=Reaction.ADD_TO_CART, product_id="7", turn=4)
    assert not store.record(customer_id="ann", conversation_id="ann:1", kind=Reaction.ADD_TO_CART, product_id="7", message_id="msg-2")
    assert store.count(customer_id="ann") == 3


def test_without_a_message_id_the_turn_number_is_the_key(store: FeedbackStore) -> None:
    assert store.record(customer_id="bo", conversation_id="bo:1", kind=Reaction.SELECT, product_id="1", turn=2)
    assert not store.record(customer_id="bo", conversation_id="bo:1", kind=Reaction.SELECT, product_id="1", turn=2)
    assert store.record(customer_id="bo", conversation_id="bo:1", kind=Reaction.SELECT, product_id="1", turn=5)
    # Outside a turn (turn 0: simulations, imports) nothing is keyed: every call is a row.
    for _ in range(2):
        assert store.record(customer_id="bo", conversation_id="bo:2", kind=Reaction.LIKE, product_id="1")
    assert store.count(customer_id="bo") == 4


def test_rows_from_before_the_key_stay(tmp_path: Path) -> None:
    """Migrating a database that already holds reactions keeps them all (their message id is NULL)."""
    from alembic import command
    from alembic.config import Config

    from retrieval.store import MIGRATIONS_DIR

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "0002_feedback")
        for _ in range(2):
            connection.execute(text("INSERT INTO feedback_events (customer_id, conversation_id, turn, kind, product_id, query, constraints, "
                                    "created_at) VALUES ('cy', 'cy:1', 0, 'like', '1', '', '{}', '2026-01-01')"))
    migrate(engine)
    assert "message_id" in {c["name"] for c in inspect(engine).get_columns("feedback_events")}
    assert FeedbackStore(engine).count(customer_id="cy") == 2


def test_the_cart_action_records_under_the_customers_message_id(monkeypatch: pytest.MonkeyPatch) -> None:
    """The message id the web app sent (in the message metadata) is the key of the rows the action writes."""
    import asyncio
    from types import SimpleNamespace

    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    import actions.products
    from actions.feedback import ActionAddToCart
    from actions.references import Resolution
    from retrieval.feedback import CURRENT_MESSAGE

    seen: list[str | None] = []
    product = SimpleNamespace(id="7", title="Shoe", price=10.0)
    monkeypatch.setattr(actions.products, "get_services", lambda: object())
    monkeypatch.setattr(actions.products, "resolve_reference", lambda tracker, services: (object(), Resolution(products=[product])))
    monkeypatch.setattr(ActionAddToCart, "act", lambda self, *args: seen.append(CURRENT_MESSAGE.get()) or [])
    tracker = Tracker("ann", {}, {"text": "/add_to_cart", "metadata": {"message_id": "msg-9"}}, [], False, None, {}, "action_listen")
    asyncio.run(ActionAddToCart().run(CollectingDispatcher(), tracker, {}))
    assert seen == ["msg-9"] and CURRENT_MESSAGE.get() is None
