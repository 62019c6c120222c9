"""Small talk that needs the catalog or the conversation, through the real action server."""

from __future__ import annotations

import csv
from collections import Counter

from shop.settings import Settings
from tests.actions.conftest import Conversation
from tests.actions.test_action_server import cards, e, texts


def test_out_of_scope_says_what_the_shop_sells_from_the_catalog(conversation: Conversation, catalog_settings: Settings) -> None:
    with catalog_settings.catalog_path.open(encoding="utf-8", newline="") as handle:
        departments = Counter(row["master_category"] for row in csv.DictReader(handle))
    result = conversation.run("action_out_of_scope", "call yellow cab", "out_of_scope")
    answer = texts(result)
    assert answer.startswith("Sorry, I can't help with that: I can only help you shop here.")
    assert all(name.lower() in answer for name in departments), answer
    assert not cards(result) and result["responses"][0]["buttons"]
    assert any((r.get("custom") or {}).get("type") == "out_of_scope" for r in result["responses"])


def test_repeat_sends_the_last_answer_again(conversation: Conversation) -> None:
    shown = cards(conversation.run("action_search_products", "watches", "search_product", [e("product_type", "watches")]))
    events = [
        {"event": "user", "text": "watches"},
        {"event": "bot", "text": "Here are results 1–5 for Watches.", "data": {"buttons": [{"title": "Show more", "payload": "/show_more"}]}},
        {"event": "bot", "text": None, "data": {"custom": {"type": "product_cards", "products": shown}}},
        {"event": "user", "text": "say that again"},
    ]
    again = conversation.run("action_repeat_last", "say that again", "repeat", events=events)
    assert texts(again).startswith("Here are results 1–5 for Watches.")
    assert [c["id"] for c in cards(again)] == [c["id"] for c in shown]
    assert again["responses"][0]["buttons"] == [{"title": "Show more", "payload": "/show_more"}]


def test_repeat_with_nothing_said_yet(conversation: Conversation) -> None:
    result = conversation.run("action_repeat_last", "repeat that", "repeat", events=[{"event": "user", "text": "repeat that"}])
    assert result["responses"] and result["responses"][0].get("response") == "utter_nothing_to_repeat"
