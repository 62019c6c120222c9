"""'Forget me' removes the customer's reactions, handoffs and conversation events, and nobody else's."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from handoff.db import migrate as migrate_handoffs
from handoff.models import Handoff
from handoff.queue import record_waiting
from retrieval.feedback import FeedbackStore, Reaction
from retrieval.store import make_engine, migrate
from shop.ops.privacy import forget_customer
from shop.settings import Settings


def make_tracker(path: Path) -> None:
    """A tracker store table shaped like Rasa's SQLTrackerStore ``events``."""
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255), type_name VARCHAR(255), data TEXT)"))
        for sender in ("ann", "ann", "ben"):
            connection.execute(text("INSERT INTO events (sender_id, type_name, data) VALUES (:s, 'user', '{}')"), {"s": sender})
    engine.dispose()


def test_forget_me_deletes_feedback_handoff_and_tracker_rows(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path)
    make_tracker(tmp_path / "tracker.db")
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    store = FeedbackStore(engine)
    for customer in ("ann", "ben"):
        store.record(customer_id=customer, conversation_id=f"{customer}:1", kind=Reaction.LIKE, product_id="1")
    migrate_handoffs(engine)
    with Session(engine) as session, session.begin():
        for customer in ("ann", "ben"):
            record_waiting(session, conversation_id=customer)

    report = forget_customer("ann", settings)

    assert (report.feedback_rows, report.tracker_events, report.handoff_rows) == (1, 2, 1)
    with Session(engine) as session:
        assert list(session.scalars(select(Handoff.conversation_id))) == ["ben"]
    assert store.count(customer_id="ann") == 0 and store.count(customer_id="ben") == 1
    tracker = create_engine(f"sqlite:///{tmp_path / 'tracker.db'}")
    with tracker.connect() as connection:
        senders = [row[0] for row in connection.execute(text("SELECT sender_id FROM events"))]
    assert senders == ["ben"]


def test_forget_me_deletes_stored_answers_and_the_api_token(tmp_path: Path) -> None:
    from web.db import open_engine
    from web.models import ApiCustomer, ChatTurn

    settings = Settings(var_dir=tmp_path)
    engine = open_engine(settings.resolved_database_url)
    with Session(engine) as session, session.begin():
        for customer in ("api-ann", "api-ben"):
            session.add(ApiCustomer(token_hash=f"hash-{customer}", customer_id=customer))
            session.add(ChatTurn(customer_id=customer, message_id="m1", text_hash="x", status="done", owner="o", answer={"messages": []}))
    engine.dispose()
    assert forget_customer("api-ann", settings).web_rows == 2
    engine = open_engine(settings.resolved_database_url)
    with Session(engine) as session:
        assert [row.customer_id for row in session.scalars(select(ApiCustomer))] == ["api-ben"]
        assert [row.customer_id for row in session.scalars(select(ChatTurn))] == ["api-ben"]
    engine.dispose()
