"""Refinement rules of the conversation's constraints (pure functions, no servers)."""

from __future__ import annotations

import pytest

from actions.constraints import Constraints, apply_entities, change_price, relax_once, remove_constraints, start_new_search

VOCABULARY = {
    ("colour", "black"): "Black", ("colour", "red"): "Red", ("colour", "blue"): "Blue", ("colour", "navy"): "Navy Blue",
    ("product_type", "running shoes"): "Sports Shoes", ("product_type", "watch"): "Watches", ("product_type", "t-shirts"): "Tshirts",
    ("gender", "men"): "Men", ("gender", "women"): "Women", ("brand", "nike"): "Nike", ("brand", "puma"): "Puma",
    ("usage", "party"): "Party", ("size", "m"): "M",
}


def canon(field: str, text: str) -> str | None:
    return VOCABULARY.get((field, text.lower()))


def entity(name: str, value: str, role: str | None = None) -> dict[str, str | None]:
    return {"entity": name, "value": value, "role": role}


def test_entities_become_canonical_constraints() -> None:
    result = apply_entities(Constraints(), [entity("color", "black"), entity("product_type", "running shoes"), entity("gender", "men")], canon)
    assert (result.colours, result.product_types, result.genders) == (["Black"], ["Sports Shoes"], ["Men"])
    assert result.query_text() == "Men Black Sports Shoes"


def test_a_later_value_replaces_and_same_message_values_combine() -> None:
    start = Constraints(colours=["Black"])
    assert apply_entities(start, [entity("color", "red")], canon).colours == ["Red"]
    assert apply_entities(start, [entity("color", "red"), entity("color", "navy")], canon).colours == ["Red", "Navy Blue"]


def test_exclusion_moves_value_out_of_the_wanted_list() -> None:
    start = Constraints(brands=["Nike"], colours=["Black"])
    result = apply_entities(start, [entity("brand", "nike", "exclude"), entity("color", "black", "exclude")], canon)
    assert result.brands == [] and result.exclude_brands == ["Nike"]
    assert result.colours == [] and result.exclude_colours == ["Black"]
    # asking for it again lifts the exclusion
    assert apply_entities(result, [entity("brand", "nike")], canon).exclude_brands == []


def test_unknown_product_words_are_kept_as_keywords_not_filters() -> None:
    result = apply_entities(Constraints(), [entity("product_type", "raincoat")], canon)
    assert result.product_types == [] and result.keywords == ["raincoat"]


@pytest.mark.parametrize(
    ("entities", "expected"),
    [
        ([entity("price_max", "50")], (None, 50.0)),
        ([entity("price_min", "20"), entity("price_max", "40")], (20.0, 40.0)),
        ([entity("price_min", "40"), entity("price_max", "20")], (20.0, 40.0)),
        ([entity("price_max", "$1,200")], (None, 1200.0)),
        ([entity("price_max", "lots")], (None, None)),
    ],
)
def test_price_entities(entities: list[dict[str, str]], expected: tuple[float | None, float | None]) -> None:
    result = apply_entities(Constraints(), entities, canon)
    assert (result.price_min, result.price_max) == expected


def test_new_search_keeps_only_the_gender() -> None:
    previous = Constraints(product_types=["Sports Shoes"], colours=["Black"], genders=["Men"], price_max=80.0)
    result = start_new_search(previous, [entity("product_type", "watch")], canon)
    assert result.product_types == ["Watches"] and result.genders == ["Men"]
    assert result.colours == [] and result.price_max is None


def test_remove_by_kind_and_by_value() -> None:
    start = Constraints(colours=["Black"], brands=["Nike", "Puma"], price_max=50.0, exclude_colours=["Red"])
    no_colour, removed = remove_constraints(start, [entity("attribute", "any colour")], canon)
    assert no_colour.colours == [] and no_colour.exclude_colours == [] and removed == ["colour"]
    no_nike, removed = remove_constraints(start, [entity("brand", "nike")], canon)
    assert no_nike.brands == ["Puma"] and removed == ["Nike"]
    no_price, _ = remove_constraints(start, [entity("attribute", "the price")], canon)
    assert no_price.price_max is None


def test_cheaper_moves_the_ceiling_below_the_middle_of_the_page() -> None:
    result = change_price(Constraints(), [], [20.0, 40.0, 60.0, 80.0, 100.0], "something cheaper")
    assert result.price_max is not None and result.price_max < 60.0
    pricier = change_price(Constraints(price_max=30.0), [], [20.0, 40.0, 60.0], "more expensive ones")
    assert pricier.price_min == 40.0 and pricier.price_max is None
    explicit = change_price(Constraints(), [entity("price_max", "25")], [20.0, 40.0], "under 25")
    assert explicit.price_max == 25.0


def test_relaxation_drops_least_important_first() -> None:
    constraints = Constraints(product_types=["Sports Shoes"], colours=["Black"], sizes=["9"], price_max=20.0)
    order = []
    while True:
        constraints, dropped = relax_once(constraints)
        if dropped is None:
            break
        order.append(dropped)
    assert order[0] == "size 9" and order[1].startswith("under $20") and order[2] == "colour Black"
    assert constraints.product_types == ["Sports Shoes"]  # the product type itself is never dropped


def test_describe_mentions_everything_active() -> None:
    text = Constraints(product_types=["Dresses"], colours=["Red"], price_max=40.0, exclude_brands=["Nike"]).describe()
    assert "Dresses" in text and "Red" in text and "under $40" in text and "not Nike" in text
    assert Constraints().describe() == "no constraints yet"
