"""The story checks themselves: each expectation fails on an answer that breaks it, and bad story files are refused.

Fast (no servers): answers are built by hand, products as the store's rows.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.catalogs.stories import Answer, StoryError, Turn, check, load_stories


def row(product_id: str, title: str, **fields: Any) -> dict[str, Any]:
    return {"product_id": product_id, "title": title, **fields}


BEFORE = [row("1", "BILLY", category="Bookcases & shelving units", colour="White", price=795.0),
          row("2", "KALLAX", category="Bookcases & shelving units", colour="Black", price=345.0)]


def answer(text: str, products: list[dict[str, Any]] | None = None, kind: str = "product_cards") -> Answer:
    """An answer as the REST channel gives it: a text, then a payload of ``kind`` (cards of ``products``)."""
    products = products or []
    messages: list[dict[str, Any]] = [{"text": text}]
    if products or kind != "product_cards":
        messages.append({"custom": {"type": kind, "products": [{"id": p["product_id"]} for p in products]}})
    return Answer(messages=messages, products=products)


@pytest.mark.parametrize(("expect", "given", "wrong"), [
    ({"products": True}, answer("Nothing found."), "expected products"),
    ({"products": False}, answer("Here.", BEFORE), "expected no products"),
    ({"text": ["SAR"]}, answer("BILLY costs $795."), "does not say 'sar'"),
    ({"not_text": ["we don't sell"]}, answer("We don't sell laptops."), "says \"we don't sell\""),
    ({"every": {"colour": "White"}}, answer("Here.", BEFORE), "'KALLAX' (colour='Black') has no colour"),
    ({"none": {"colour": "black"}}, answer("Here.", BEFORE), "has a colour in ['black']"),
    ({"price_max": 500}, answer("Here.", BEFORE), "costs more than 500"),
    ({"cheaper": True}, answer("Here.", [row("3", "HEMNES", price=900.0)]), "is not cheaper than the dearest before (795.0)"),
    ({"not_sold": True}, answer("Here are laptop tables.", BEFORE), "does not say the shop does not sell it"),
    ({"names": 2}, answer("BILLY — SAR 795.00."), "does not name product 2, 'KALLAX'"),
    ({"like": {"position": 1, "field": "category"}}, answer("More.", [row("4", "MALM", category="Beds")]), "is not like"),
    ({"new": True}, answer("More.", BEFORE[:1]), "was shown before"),
])
def test_an_answer_that_breaks_an_expectation_fails_it(expect: dict[str, Any], given: Answer, wrong: str) -> None:
    problems = check(Turn(say="...", expect=expect), given, BEFORE)
    assert any(wrong in problem for problem in problems), problems


def test_an_answer_that_meets_every_expectation_passes() -> None:
    shown = [row("5", "BILLY", category="Bookcases & shelving units", colour="White", price=95.0)]
    expect = {"products": True, "text": ["bookcases"], "every": {"category": "Bookcases", "about": "billy"}, "none": {"colour": "Black"},
              "price_max": 100, "cheaper": True, "like": {"position": 1, "field": "category"}, "new": True}
    assert check(Turn(say="...", expect=expect), answer("White bookcases:", shown), BEFORE) == []
    not_sold = answer("We don't sell laptops. We have bookcases.", kind="not_carried")
    assert check(Turn(say="...", expect={"not_sold": True, "products": False}), not_sold, BEFORE) == []


@pytest.mark.parametrize(("text", "error"), [
    ("stories:\n  - story: x\n    steps:\n      - say: hi\n        expect: {prodcts: true}\n", "unknown expectation(s) ['prodcts']"),
    ("stories:\n  - story: x\n    steps:\n      - expect: {products: true}\n", "a step without 'say'"),
    ("stories:\n  - story: x\n    steps: []\n", "at least one step"),
    ("stories:\n  - story: A b\n    steps: [{say: hi}]\n  - story: a-b\n    steps: [{say: hi}]\n", "same name"),
])
def test_a_story_file_with_a_mistake_is_refused(tmp_path: Path, text: str, error: str) -> None:
    path = tmp_path / "shop.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StoryError, match=re.escape(error)):
        load_stories(path)
