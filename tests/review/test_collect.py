"""The collector reads Rasa's tracker store incrementally into the queue (review/collect.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine, insert, select
from sqlalchemy.orm import Session

from retrieval.store import make_engine
from review.collect import ScanPolicy, scan
from review.db import migrate
from review.models import ReviewItem

POLICY = ScanPolicy(low_confidence=0.7, abandon_after_seconds=600)


def tracker_store(path: Path) -> tuple[Any, Table]:
    """An events table shaped like Rasa's SQLTrackerStore's."""
    engine = create_engine(f"sqlite:///{path}")
    table = Table("events", MetaData(), Column("id", Integer, primary_key=True), Column("sender_id", String(255)),
                  Column("type_name", String(255)), Column("timestamp", Float), Column("intent_name", String(255)),
                  Column("action_name", String(255)), Column("data", Text))
    table.metadata.create_all(engine)
    return engine, table


def write(engine: Any, table: Table, sender: str, items: list[tuple[int, dict[str, Any]]]) -> None:
    with engine.begin() as connection:
        for _, event in items:
            connection.execute(insert(table).values(sender_id=sender, type_name=event["event"], timestamp=event["timestamp"],
                                                    data=json.dumps(event)))


def test_scans_are_incremental_idempotent_and_notice_abandonment_later(tmp_path: Path, events: Any, scratch_database_url: str) -> None:
    tracker, table = tracker_store(tmp_path / "tracker.db")
    shop = make_engine(scratch_database_url)  # the review tables: SQLite, or PostgreSQL in that stage of `make test`
    migrate(shop)
    conversation = events.user("blorp fnarg", "change_price", 0.5).action("action_refine_search").bot(products=["4"]).action("action_listen")
    write(tracker, table, "web-1", conversation.items)
    written = len(conversation.items)
    with Session(shop) as db:
        first = scan(tracker, db, POLICY, now=conversation.clock + 1)
        db.commit()
        assert (first.conversations, first.flagged) == (1, 1)
        again = scan(tracker, db, POLICY, now=conversation.clock + 2)  # nothing new: nothing read
        db.commit()
        assert (again.conversations, again.flagged) == (0, 0)
    later = events.user("do you sell fridges", "search_product").action("action_search_products").bot("We don't sell fridges.")
    write(tracker, table, "web-1", later.items[written:])
    with Session(shop) as db:
        assert scan(tracker, db, POLICY, now=later.clock + 5).flagged == 0  # not silent for long enough yet
        db.commit()
        scan(tracker, db, POLICY, now=later.clock + 601)  # no new event, but the silence has lasted
        db.commit()
        rows = {row.text: row.reasons for row in db.scalars(select(ReviewItem))}
    assert rows == {"blorp fnarg": ["low_confidence"], "do you sell fridges": ["abandoned_no_result"]}
    tracker.dispose()
    shop.dispose()


def test_no_tracker_store_yet_is_not_an_error(tmp_path: Path) -> None:
    shop = make_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    migrate(shop)
    with Session(shop) as db:
        report = scan(create_engine(f"sqlite:///{tmp_path / 'none.db'}"), db, POLICY)
    assert (report.conversations, report.flagged) == (0, 0)
