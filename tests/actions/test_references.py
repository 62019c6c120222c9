"""Resolving references to products on screen."""

from __future__ import annotations

import pytest

from actions.references import describe, ordinal_positions, resolve, stem
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


# --- descriptions in the customer's own words ------------------------------------------------------------

SHIRTS = [
    Product(id="a", title="Locomotive Men Check Shirt", colour="Blue", brand="Locomotive", product_type="Shirts", price=40.0),
    Product(id="b", title="Nike Men Solid Polo Tshirt", colour="Black", brand="Nike", product_type="Tshirts", price=25.0),
    Product(id="c", title="Puma Men Striped Shirt", colour="Blue", brand="Puma", product_type="Shirts", price=32.0),
    Product(id="d", title="Wrangler Men Checks Shirt", colour="Red", brand="Wrangler", product_type="Shirts", price=55.0),
    Product(id="e", title="Flying Machine Men Printed Tshirt", colour="White", brand="Flying Machine", product_type="Tshirts", price=18.0),
]


@pytest.mark.parametrize(("word", "expected"), [
    ("checked", "check"), ("checks", "check"), ("check", "check"), ("striped", "strip"), ("stripes", "strip"),
    ("printed", "print"), ("print", "print"), ("dotted", "dot"), ("dresses", "dress"), ("dress", "dress"),
])
def test_stems_join_the_forms_of_a_word(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_a_plural_description_means_every_product_that_fits() -> None:
    checked = resolve(SHIRTS, None, [], "i like the checked ones")
    assert ids(checked.products) == ["a", "d"] and checked.plural
    assert ids(resolve(SHIRTS, None, [], "I don't like the printed ones").products) == ["e"]
    assert ids(resolve(SHIRTS, SHIRTS[1], [], "the striped one please").products) == ["c"]


def test_a_singular_description_that_fits_several_asks_which() -> None:
    several = resolve(SHIRTS, None, [], "add the checked one to my cart")
    assert several.products == [] and ids(several.candidates) == ["a", "d"] and "Several" in several.problem


@pytest.mark.parametrize(("text", "expected"), [
    ("the cheaper one", ["e"]), ("add the cheapest to my cart", ["e"]), ("the most expensive one", ["d"]),
    ("the less expensive checked one", ["a"]), ("the pricier striped one", ["c"]),
])
def test_price_words_pick_among_the_products_that_fit(text: str, expected: list[str]) -> None:
    assert ids(resolve(SHIRTS, None, [], text).products) == expected


def test_brand_and_colour_words_need_no_entity() -> None:
    assert ids(resolve(SHIRTS, None, [], "show me the Nike one").products) == ["b"]
    assert ids(resolve(SHIRTS, None, [], "the black one").products) == ["b"]
    assert ids(resolve(SHIRTS, None, [], "the blue ones").products) == ["a", "c"]
    # an entity keeps to its attribute: "red" as a colour is not the Red in a brand name
    assert ids(resolve(SHIRTS, None, [{"entity": "color", "value": "red"}], "the red one").products) == ["d"]
    striped = resolve(SHIRTS, None, [{"entity": "material", "value": "striped"}], "i love the striped ones")
    assert ids(striped.products) == ["c"]


def test_a_description_that_fits_nothing_on_screen_asks() -> None:
    missing = resolve(SHIRTS, SHIRTS[0], [], "i like the floral ones")
    assert missing.products == [] and ids(missing.candidates) == ["a", "b", "c", "d", "e"]
    assert missing.problem == "I don't see any floral ones on screen."
    assert "a green one" in resolve(SHIRTS, SHIRTS[0], [], "add the green one").problem


@pytest.mark.parametrize("text", ["what sizes does it come in", "add that one", "what are the colour options", "i like this one"])
def test_words_that_describe_no_product_leave_the_focused_one(text: str) -> None:
    assert ids(resolve(SHIRTS, SHIRTS[2], [], text).products) == ["c"]


def test_a_description_reads_only_the_words_after_the_pointer() -> None:
    description = describe([], "please add the blue checked shirt to my cart, I really love it")
    assert description.words == ["blue", "checked", "shirt"] and not description.plural and description.order is None
    assert describe([], '/feedback_negative{"product_id": "a"}').words == []


def test_a_comparison_resolves_each_description_on_its_own() -> None:
    both = resolve(SHIRTS, None, [], "compare the striped one with the printed one", wanted=2)
    assert ids(both.products) == ["c", "e"]
    tagged = [{"entity": "brand", "value": "nike"}, {"entity": "brand", "value": "puma"}]
    assert ids(resolve(SHIRTS, None, tagged, "compare the nike one and the puma one", wanted=2).products) == ["b", "c"]
    ambiguous = resolve(SHIRTS, None, [], "compare the nike one and the blue one", wanted=2)
    assert ambiguous.products == [] and ids(ambiguous.candidates) == ["a", "c"] and ambiguous.problem == "Several blue ones are on screen."


def test_details_read_out_the_catalogs_own_short_facts_but_not_long_ones() -> None:
    from actions.products import describe_product
    from retrieval.types import Product

    chair = Product(id="1", title="PELLO", product_type="Chairs", price=195.0, currency="SAR",
                    attributes={"width_cm": "67 cm", "designer": "Holmby", "specifications": "x" * 200, "empty": ""})
    text = describe_product(chair)
    assert "PELLO — SAR 195.00." in text and "Type: Chairs." in text
    assert "Width cm: 67 cm." in text and "Designer: Holmby." in text
    assert "xxxx" not in text and "Empty" not in text
