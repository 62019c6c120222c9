"""Resolving references to products on screen."""

from __future__ import annotations

import pytest

from actions.references import ordinal_positions, resolve
from retrieval import Product

SHOWN = [
    Product(id="1", title="Nike Men Black Running Shoes", colour="Black", brand="Nike", product_type="Sports Shoes"),
    Product(id="2", title="Puma Men Blue Running Shoes", colour="Blue", brand="Puma", product_type="Sports Shoes"),
    Product(id="3", title="Adidas Men Blue Shoes", colour="Blue", brand="Adidas", product_type="Sports Shoes"),
]


def ids(products: list[Product]) -> list[str]:
    return [p.id for p in products]


def test_ordinal_entities_pick_positions() -> None:
    assert ids(resolve(SHOWN, None, [{"entity": "ordinal", "value": "2"}], "the second one").products) == ["2"]
    assert ids(resolve(SHOWN, None, [{"entity": "ordinal", "value": "-1"}], "the last one").products) == ["3"]
    assert ids(resolve(SHOWN, None, [{"entity": "ordinal", "value": "-2"}], "the second to last").products) == ["2"]


def test_ordinal_words_are_read_when_the_tagger_missed_them() -> None:
    resolution = resolve(SHOWN, None, [], "compare the first and the third", wanted=2)
    assert ids(resolution.products) == ["1", "3"]
    assert ids(resolve(SHOWN, None, [], "the second to last one").products) == ["2"]
    assert ids(resolve(SHOWN, None, [], "last but one please").products) == ["2"]


@pytest.mark.parametrize(("text", "expected"), [
    ("the second one", [2]), ("second to last", [-2]), ("the last one", [-1]), ("#3", [3]), ("number 4", [4]),
    ("the 3rd", [3]), ("2", [2]), ("lasting", []), ("size 8", []), ("under 50", []), ("a top", []),
    ("the first and the third", [1, 3]), ("item 5 please", [5]),
])
def test_ordinal_positions_in_text(text: str, expected: list[int]) -> None:
    assert ordinal_positions([], text) == expected


def test_positions_on_later_pages_count_overall() -> None:
    assert ids(resolve(SHOWN, None, [{"entity": "ordinal", "value": "7"}], "number 7", first_position=6).products) == ["2"]


def test_an_ordinal_past_the_screen_asks_instead_of_guessing() -> None:
    past = resolve(SHOWN, SHOWN[0], [{"entity": "ordinal", "value": "6"}], "the 6th one")
    assert past.products == [] and ids(past.candidates) == ["1", "2", "3"] and "1–3" in past.problem
    before = resolve(SHOWN, SHOWN[0], [{"entity": "ordinal", "value": "-5"}], "fifth from last")
    assert before.products == [] and before.candidates


def test_text_that_only_looks_like_an_ordinal_does_not_pick_a_product() -> None:
    # "size 8" on the page showing 6-8 must not select card 8; with nothing focused it asks.
    resolution = resolve(SHOWN, None, [], "do you have it in size 8", first_position=6)
    assert resolution.products == [] and len(resolution.candidates) == 3
    assert resolve(SHOWN, None, [], "which one is more lasting").products == []


def test_description_picks_a_unique_match_or_asks() -> None:
    assert ids(resolve(SHOWN, None, [{"entity": "color", "value": "black"}], "the black one").products) == ["1"]
    ambiguous = resolve(SHOWN, None, [{"entity": "color", "value": "blue"}], "the blue one")
    assert ambiguous.products == [] and ids(ambiguous.candidates) == ["2", "3"]
    missing = resolve(SHOWN, SHOWN[0], [{"entity": "color", "value": "red"}], "the red one")
    assert missing.products == [] and "red" in missing.problem


def test_that_one_means_the_focused_product() -> None:
    assert ids(resolve(SHOWN, SHOWN[2], [], "add that one").products) == ["3"]
    unclear = resolve(SHOWN, None, [], "that one")
    assert unclear.products == [] and len(unclear.candidates) == 3


def test_card_buttons_name_the_product_by_id() -> None:
    resolution = resolve(SHOWN, None, [{"entity": "ordinal", "value": "1"}], "/feedback_negative", named=[SHOWN[2]])
    assert ids(resolution.products) == ["3"]
