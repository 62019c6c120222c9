"""Pure pieces of the web app: transcript building, signed customer ids, login throttling."""

from __future__ import annotations

from pathlib import Path

import pytest

from web.security import CustomerIds, LoginThrottle, hash_password, verify_password
from web.transcript import label_of, shown_products, transcript

TRACKER = {
    "slots": {"search_state": {"constraints": {"colours": ["Black"]}, "shown": ["2", "1"]}},
    "events": [
        {"event": "session_started"},
        {"event": "user", "text": "black shoes"},
        {"event": "bot", "text": "Here you go:", "data": {"buttons": [{"title": "Cheaper", "payload": "/change_price"}]}},
        {"event": "bot", "text": None, "data": {"custom": {"type": "product_cards", "products": [{"id": "1", "title": "A"}, {"id": "2", "title": "B"}]}}},
        {"event": "user", "text": '/feedback_negative{"product_id": "1"}'},
        {"event": "bot", "text": "Hello from staff", "metadata": {"staff": "alice"}},
        {"event": "bot", "text": "Passing you over", "data": {"custom": {"type": "handoff", "status": "waiting"}}},
    ],
}


def test_transcript_keeps_order_roles_and_payload_labels() -> None:
    messages = transcript(TRACKER)
    assert [m["role"] for m in messages] == ["customer", "bot", "bot", "customer", "staff", "bot", "bot"]
    assert messages[3]["text"] == "👎 Not for me: A"
    assert messages[4]["staff"] == "alice"
    assert messages[1]["buttons"][0]["title"] == "Cheaper"


def test_the_console_lists_wanted_and_excluded_constraints() -> None:
    from web.transcript import constraint_view

    slot = {"wanted": {"colour": ["Red"], "size": []}, "unwanted": {"brand": ["Nike"]}, "price_min": None, "price_max": 50.0,
            "keywords": [], "latest": ["colour"]}
    assert constraint_view(slot) == {"colour": ["Red"], "not brand": ["Nike"], "price_max": 50.0}
    gift = {"wanted": {"gender": ["Women"]}, "soft": {"usage": ["Gift"]}, "recipient": "wife", "price_max": None}
    assert constraint_view(gift) == {"gender": ["Women"], "usage (soft)": ["Gift"], "recipient": "wife"}
    assert constraint_view({"colours": ["Black"]}) == {"colours": ["Black"]}
    assert constraint_view(None) == {}


def test_shown_products_follow_the_slot_order() -> None:
    assert [c["title"] for c in shown_products(TRACKER, ["2", "1", "9"])] == ["B", "A"]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ('/search_product{"product_type": "tshirts"}', "Search product: tshirts"),
        ("/request_human", "Talk to a person"),
        ('/add_to_cart{"product_id": "404"}', "Add to cart"),
        ("<b>/not a payload</b>", "<b>/not a payload</b>"),
    ],
)
def test_labels(text: str, label: str) -> None:
    assert label_of(text) == label


def test_customer_ids_are_signed() -> None:
    ids = CustomerIds("secret-one")
    customer, cookie = ids.new()
    assert ids.read(cookie) == customer
    assert CustomerIds("secret-two").read(cookie) is None
    # Tamper with the signature's first character: the last one of a base64 string carries unused
    # padding bits, so changing it can decode to the very same signature bytes.
    payload, _, signature = cookie.rpartition(".")
    forged = f"{payload}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
    assert ids.read(forged) is None
    assert ids.read(f"{payload[:-1]}{'B' if payload[-1] == 'A' else 'A'}.{signature}") is None
    assert ids.read(None) is None


def test_throttle_counts_per_user_and_address() -> None:
    throttle = LoginThrottle(limit=2, window=60)
    for _ in range(2):
        throttle.failed("Ann", "1.2.3.4")
    assert throttle.retry_after("ann", "1.2.3.4") > 0
    assert throttle.retry_after("ann", "5.6.7.8") == 0
    throttle.succeeded("ann", "1.2.3.4")
    assert throttle.retry_after("ann", "1.2.3.4") == 0


def test_passwords_are_hashed_with_argon2() -> None:
    stored = hash_password("a long password")
    assert stored.startswith("$argon2") and "a long password" not in stored
    assert verify_password(stored, "a long password")
    assert not verify_password(stored, "another")
    assert not verify_password(None, "a long password")


def test_console_tables_migrate_beside_the_product_store(tmp_path: Path) -> None:
    from sqlalchemy import inspect

    from retrieval.store import make_engine, migrate
    from web.db import open_engine

    url = f"sqlite:///{tmp_path / 'shop.db'}"
    migrate(make_engine(url))  # the product store first, as `make run` does
    engine = open_engine(url)
    open_engine(url)  # idempotent
    tables = set(inspect(engine).get_table_names())
    assert {"products", "alembic_version", "staff_accounts", "staff_sessions", "handoffs", "web_alembic_version",
            "handoff_alembic_version"} <= tables


def test_the_widget_is_served_with_the_shops_trouble_text() -> None:
    from shop.messages import TROUBLE_MESSAGE
    from web.routes.store import TROUBLE_PLACEHOLDER, widget_source

    source = widget_source()
    assert f'var TROUBLE = "{TROUBLE_MESSAGE}";' in source and TROUBLE_PLACEHOLDER not in source


def test_without_the_encoder_the_queue_groups_messages_with_the_same_words() -> None:
    from datetime import UTC, datetime

    from review.grouping import group_items
    from review.models import ReviewItem
    from web.review_queue import _words_vector

    def item(i: int, text: str) -> ReviewItem:
        return ReviewItem(id=i, text=text, occurred_at=datetime(2026, 12, 1, tzinfo=UTC))

    groups = group_items([item(1, "Do you sell gift cards?"), item(2, "do you sell gift cards"), item(3, "red shoes")], _words_vector)
    assert [sorted(i.id for i in g.items) for g in groups] == [[1, 2], [3]]
