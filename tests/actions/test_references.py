"""Resolving references to products on screen."""

from __future__ import annotations

from actions.references import resolve
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


def test_ordinal_words_are_read_when_the_tagger_missed_them() -> None:
    resolution = resolve(SHOWN, None, [], "compare the first and the third", wanted=2)
    assert ids(resolution.products) == ["1", "3"]


def test_positions_on_later_pages_count_overall() -> None:
    assert ids(resolve(SHOWN, None, [{"entity": "ordinal", "value": "7"}], "number 7", page_start=6).products) == ["2"]


def test_description_picks_a_unique_match_or_asks() -> None:
    assert ids(resolve(SHOWN, None, [{"entity": "color", "value": "black"}], "the black one").products) == ["1"]
    ambiguous = resolve(SHOWN, None, [{"entity": "color", "value": "blue"}], "the blue one")
    assert ambiguous.products == [] and ids(ambiguous.ambiguous) == ["2", "3"]


def test_that_one_means_the_focused_product() -> None:
    assert ids(resolve(SHOWN, SHOWN[2], [], "add that one").products) == ["3"]
    unclear = resolve(SHOWN, None, [], "that one")
    assert unclear.products == [] and len(unclear.ambiguous) == 3


def test_card_buttons_name_the_product_by_id() -> None:
    resolution = resolve(SHOWN, None, [{"entity": "product_id", "value": "3"}, {"entity": "ordinal", "value": "1"}], "/feedback_negative")
    assert ids(resolution.products) == ["3"]
