"""Builders of Rasa tracker-store events, as Rasa serialises them, for the review-loop tests."""

from __future__ import annotations

from typing import Any

import pytest


class Events:
    """A conversation's events with increasing ids and timestamps."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.items: list[tuple[int, dict[str, Any]]] = []
        self.clock = start

    def add(self, event: dict[str, Any]) -> Events:
        self.clock += 1.0
        self.items.append((len(self.items) + 1, {"timestamp": self.clock, **event}))
        return self

    def user(self, text: str, intent: str, confidence: float = 0.95, entities: list[dict[str, Any]] | None = None,
             ranking: list[dict[str, Any]] | None = None) -> Events:
        parse = {"intent": {"name": intent, "confidence": confidence}, "entities": entities or [], "text": text,
                 "intent_ranking": ranking or [{"name": intent, "confidence": confidence}]}
        return self.add({"event": "user", "text": text, "parse_data": parse})

    def action(self, name: str) -> Events:
        return self.add({"event": "action", "name": name})

    def bot(self, text: str = "", products: list[str] | None = None) -> Events:
        custom = {"type": "product_cards", "products": [{"id": p, "title": f"Product {p}"} for p in products]} if products is not None else None
        return self.add({"event": "bot", "text": text or None, "data": {"custom": custom}})

    def search(self, text: str, products: list[str], entities: list[dict[str, Any]] | None = None) -> Events:
        return self.user(text, "search_product", entities=entities).action("action_search_products").bot(products=products).action("action_listen")


@pytest.fixture
def events() -> Events:
    """A fresh conversation to build."""
    return Events()
