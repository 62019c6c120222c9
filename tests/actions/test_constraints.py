"""Refinement rules of the conversation's constraints (pure functions, no servers)."""

from __future__ import annotations

import pytest

from actions.constraints import Constraints
from actions.refine import apply_entities, implies_same_person, start_new_search
from actions.relax import change_price, newest, relax_once, remove_constraints
from retrieval.attributes import REGISTRY
from retrieval.vocabulary import Vocabulary

VOCABULARY = {
    ("colour", "black"): ["Black"], ("colour", "red"): ["Red"], ("colour", "blue"): ["Blue"], ("colour", "navy"): ["Navy Blue"],
    ("product_type", "running shoes"): ["Sports Shoes"], ("product_type", "watch"): ["Watches"],
    ("product_type", "t-shirts"): ["Tshirts"], ("product_type", "sneakers"): ["Casual Shoes", "Sports Shoes"],
    ("gender", "men"): ["Men"], ("gender", "women"): ["Women"], ("gender", "kids"): ["Boys", "Girls"],
    ("brand", "nike"): ["Nike"], ("brand", "puma"): ["Puma"], ("usage", "party"): ["Party"],
    ("usage", "wedding"): ["Ethnic", "Party", "Formal"], ("size", "m"): ["M"], ("size", "9"): ["9"],
}


def canon(name: str, text: str) -> list[str]:
    return VOCABULARY.get((name, text.lower()), [])


def entity(name: str, value: str, role: str | None = None) -> dict[str, str | None]:
    return {"entity": name, "value": value, "role": role}


def test_entities_become_canonical_constraints() -> None:
    result = apply_entities(Constraints(), [entity("color", "black"), entity("product_type", "running shoes"), entity("gender", "men")], canon)
    assert (result.values("colour"), result.values("product_type"), result.values("gender")) == (["Black"], ["Sports Shoes"], ["Men"])
    assert result.query_text() == "Black Men Sports Shoes"
    assert result.latest == ["colour", "product_type", "gender"]
    assert apply_entities(result, [entity("brand", "nike")], canon).latest == ["brand"]


def test_a_synonym_keeps_every_value_it_can_mean() -> None:
    result = apply_entities(Constraints(), [entity("product_type", "sneakers"), entity("gender", "kids"), entity("occasion", "wedding")], canon)
    assert result.values("product_type") == ["Casual Shoes", "Sports Shoes"]
    assert result.values("gender") == ["Boys", "Girls"]
    assert result.values("usage") == ["Ethnic", "Party", "Formal"]
    assert result.to_filters().include["gender"] == ["Boys", "Girls"]


def test_a_later_value_replaces_and_same_message_values_combine() -> None:
    start = Constraints(wanted={"colour": ["Black"]})
    assert apply_entities(start, [entity("color", "red")], canon).values("colour") == ["Red"]
    assert apply_entities(start, [entity("color", "red"), entity("color", "navy")], canon).values("colour") == ["Red", "Navy Blue"]


def test_exclusion_moves_value_out_of_the_wanted_list() -> None:
    start = Constraints(wanted={"brand": ["Nike"], "colour": ["Black"]})
    result = apply_entities(start, [entity("brand", "nike", "exclude"), entity("color", "black", "exclude")], canon)
    assert result.values("brand") == [] and result.excluded("brand") == ["Nike"]
    assert result.values("colour") == [] and result.excluded("colour") == ["Black"]
    # asking for it again lifts the exclusion
    assert apply_entities(result, [entity("brand", "nike")], canon).excluded("brand") == []


def test_an_excluded_material_becomes_a_filter() -> None:
    result = apply_entities(Constraints(), [entity("product_type", "t-shirts"), entity("material", "polyester", "exclude")], canon)
    assert result.excluded("material") == ["polyester"]
    assert result.to_filters().exclude == {"material": ["polyester"]}
    assert "not polyester" in result.describe()


def test_unknown_product_words_are_kept_as_keywords_not_filters() -> None:
    result = apply_entities(Constraints(), [entity("product_type", "raincoat")], canon)
    assert result.values("product_type") == [] and result.keywords == ["raincoat"]


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


def test_a_price_entity_without_a_number_keeps_the_budget() -> None:
    start = Constraints(price_max=50.0)
    assert apply_entities(start, [entity("price_max", "budget")], canon).price_max == 50.0
    assert change_price(start, [entity("price_max", "my budget")], [], "within my budget").price_max == 50.0


def test_new_search_carries_the_gender_only_when_the_words_say_so() -> None:
    previous = Constraints(wanted={"product_type": ["Sports Shoes"], "colour": ["Black"], "gender": ["Men"]}, price_max=80.0)
    fresh = start_new_search(previous, [entity("product_type", "watch")], canon, "show me a watch")
    assert fresh.values("product_type") == ["Watches"] and fresh.values("gender") == []
    assert fresh.values("colour") == [] and fresh.price_max is None
    continued = start_new_search(previous, [entity("product_type", "watch")], canon, "a watch too")
    assert continued.values("gender") == ["Men"]
    named = start_new_search(previous, [entity("product_type", "watch"), entity("gender", "women")], canon, "also a watch for women")
    assert named.values("gender") == ["Women"]


@pytest.mark.parametrize(("text", "expected"), [
    ("a matching belt", True), ("a watch too", True), ("and also a cap", True), ("show me watches", False),
    ("something to go with it", True), ("tops", False),
])
def test_same_person_words(text: str, expected: bool) -> None:
    assert implies_same_person(text) is expected


def test_remove_by_kind_and_by_value() -> None:
    start = Constraints(wanted={"colour": ["Black"], "brand": ["Nike", "Puma"]}, price_max=50.0, unwanted={"colour": ["Red"]})
    no_colour = remove_constraints(start, [entity("attribute", "any colour")], canon)
    assert no_colour.constraints.values("colour") == [] and no_colour.constraints.excluded("colour") == [] and no_colour.removed == ["colour"]
    no_nike = remove_constraints(start, [entity("brand", "nike")], canon)
    assert no_nike.constraints.values("brand") == ["Puma"] and no_nike.removed == ["Nike"]
    no_price = remove_constraints(start, [entity("attribute", "the price")], canon)
    assert no_price.constraints.price_max is None


START = Constraints(wanted={"product_type": ["Sports Shoes"], "colour": ["Black"], "brand": ["Nike"], "size": ["9"]}, price_max=50.0)


@pytest.mark.parametrize(("text", "gone"), [
    ("any colour is fine", "colour"), ("any color is fine", "colour"), ("forget the budget", "price"),
    ("never mind the size", "size"), ("i don't care about the brand", "brand"), ("doesn't matter which shade", "colour"),
    ("no price limit please", "price"), ("forget nike", "brand"),
])
def test_relaxing_in_the_customers_own_words_without_entities(text: str, gone: str) -> None:
    removal = remove_constraints(START, [], canon, text)
    spec = next(s for s in REGISTRY if s.name == gone)
    assert removal.removed and not removal.constraints.has(spec), (text, removal)
    assert removal.constraints.values("product_type") == ["Sports Shoes"]
    others = [s for s in REGISTRY if s.name not in (gone, "product_type") and START.has(s)]
    assert all(removal.constraints.has(s) for s in others), f"{text!r} removed more than {gone}"


def test_clear_all_filters_keeps_the_kind_and_start_over_clears_everything() -> None:
    cleared = remove_constraints(START, [], canon, "clear all filters")
    assert cleared.constraints.values("product_type") == ["Sports Shoes"] and not cleared.started_over
    assert cleared.constraints.values("colour") == [] and cleared.constraints.price_max is None
    restart = remove_constraints(START, [], canon, "let's start over")
    assert restart.started_over and restart.constraints.is_empty()


def test_unrelated_words_remove_nothing() -> None:
    removal = remove_constraints(START, [], canon, "hmm not sure")
    assert removal.removed == [] and removal.constraints.to_dict() == START.to_dict()


def test_cheaper_moves_the_ceiling_below_the_middle_of_the_page() -> None:
    result = change_price(Constraints(), [], [20.0, 40.0, 60.0, 80.0, 100.0], "something cheaper")
    assert result.price_max is not None and result.price_max < 60.0
    affordable = change_price(Constraints(), [], [20.0, 40.0, 60.0, 80.0, 100.0], "more affordable please")
    assert affordable.price_max is not None and affordable.price_max < 60.0
    pricier = change_price(Constraints(price_max=30.0), [], [20.0, 40.0, 60.0], "more expensive ones")
    assert pricier.price_min == 40.0 and pricier.price_max is None
    explicit = change_price(Constraints(), [entity("price_max", "25")], [20.0, 40.0], "under 25")
    assert explicit.price_max == 25.0


def test_relaxation_drops_least_important_first() -> None:
    constraints = Constraints(wanted={"product_type": ["Sports Shoes"], "colour": ["Black"], "size": ["9"]}, price_max=20.0)
    order = []
    while True:
        constraints, dropped = relax_once(constraints)
        if dropped is None:
            break
        order.append(dropped)
    assert order[0] == "size 9" and order[1].startswith("under $20") and order[2] == "colour Black"
    assert constraints.values("product_type") == ["Sports Shoes"]  # the product type itself is never dropped


def test_relaxation_keeps_the_newest_constraint_for_last() -> None:
    constraints = Constraints(wanted={"product_type": ["Tops"], "colour": ["Blue"], "gender": ["Men"]}, latest=["gender"])
    relaxed, dropped = relax_once(constraints)
    assert dropped == "colour Blue" and relaxed.values("gender") == ["Men"]
    _, then = relax_once(relaxed)
    assert then == "for Men"  # dropped only once nothing older is left


def test_describe_mentions_everything_active() -> None:
    text = Constraints(wanted={"product_type": ["Dresses"], "colour": ["Red"], "gender": ["Women"]}, price_max=40.0,
                       unwanted={"brand": ["Nike"]}).describe()
    assert "Dresses" in text and "Red" in text and "for Women" in text and "under $40" in text and "not Nike" in text
    assert Constraints().describe() == "no constraints yet"


def test_slot_form_round_trips_and_tolerates_garbage() -> None:
    constraints = Constraints(wanted={"colour": ["Red"]}, unwanted={"brand": ["Nike"]}, price_min=10.0, keywords=["linen"], latest=["colour"])
    assert Constraints.from_dict(constraints.to_dict()) == constraints
    garbage = Constraints.from_dict({"wanted": {"colour": "Red", "nonsense": ["x"], "brand": [1, None]}, "price_max": "abc", "latest": 5})
    assert garbage.wanted == {"brand": ["1"]} and garbage.price_max is None and garbage.latest == []


def test_a_product_word_that_is_a_category_filters_by_category() -> None:
    def with_categories(name: str, text: str) -> list[str]:
        return {"category": {"bags": ["Accessories > Bags"]}}.get(name, {}).get(text.lower(), [])

    result = apply_entities(Constraints(), [entity("product_type", "bags")], with_categories)
    assert result.values("category") == ["Accessories > Bags"] and result.keywords == []
    assert result.to_filters().include == {"category": ["Accessories > Bags"]}


# --- who it is for, and a gift, read from the customer's own words ------------------------------------

CATALOG = Vocabulary({
    "product_type": ["Watches", "Tshirts", "Tops", "Shirts", "Casual Shoes", "Handbags"],
    "gender": ["Men", "Women", "Boys", "Girls", "Unisex"],
    "usage": ["Casual", "Ethnic", "Formal", "Sports", "Smart Casual", "Party", "Travel"],  # no gift label
    "colour": ["Blue", "Black"],
})
real = CATALOG.canonical_values
WIFE_GIFT = Constraints(wanted={"gender": ["Women"]}, soft={"usage": ["Gift"]}, recipient="wife")


def test_a_gift_for_my_wife_is_for_women_and_a_soft_occasion() -> None:
    tagged = apply_entities(Constraints(), [entity("gender", "wife")], real, text="i need a gift for my wife")
    untagged = apply_entities(Constraints(), [], real, text="I need a present for my wife")
    for result in (tagged, untagged):
        assert result.values("gender") == ["Women"] and result.recipient == "wife"
        assert result.soft_values("usage") == ["Gift"] and result.values("usage") == []
        assert "usage" not in result.to_filters().include  # steers, never filters
        assert "Gift" in result.query_text() and result.describe() == "for Women · Gift"


@pytest.mark.parametrize(("text", "gender"), [
    ("something for my husband", ["Men"]), ("a watch for my son", ["Boys"]), ("for my daughter", ["Girls"]),
    ("my girlfriend likes bags", ["Women"]), ("a present for my dad", ["Men"]), ("something for mum", ["Women"]),
    ("for my grandma", ["Women"]), ("for my little brother", ["Men"]), ("something for him", ["Men", "Boys"]),
    ("she likes watches", ["Women", "Girls"]), ("my wife says she likes watches", ["Women"]),
])
def test_who_it_is_for_is_read_from_the_words(text: str, gender: list[str]) -> None:
    assert apply_entities(Constraints(), [], real, text=text).values("gender") == gender


def test_words_the_nlu_tagged_or_a_button_sent_are_not_read_again() -> None:
    shoes = apply_entities(Constraints(), [entity("product_type", "casual shoes")], real, text="casual shoes for my wife")
    assert shoes.values("usage") == [] and shoes.values("gender") == ["Women"]
    women = apply_entities(Constraints(), [entity("gender", "women")], real, text="for women, she said")
    assert women.values("gender") == ["Women"] and women.recipient == "women"
    assert apply_entities(Constraints(), [], real, text='/search_product{"gender": "her"}').is_empty()


def test_an_occasion_the_nlu_tagged_but_the_catalog_lacks_is_soft() -> None:
    birthday = apply_entities(Constraints(), [entity("occasion", "birthday"), entity("gender", "dad")], real)
    assert birthday.soft_values("usage") == ["Gift"] and birthday.values("gender") == ["Men"]
    party = apply_entities(birthday, [entity("occasion", "party")], real)
    assert party.values("usage") == ["Party"] and party.soft_values("usage") == []  # a later occasion replaces it


def test_a_pronoun_refers_back_to_the_person_named_before() -> None:
    watches = start_new_search(WIFE_GIFT, [entity("product_type", "watches")], real, "she likes watches")
    assert watches.values("product_type") == ["Watches"] and watches.values("gender") == ["Women"]
    assert watches.soft_values("usage") == ["Gift"] and watches.recipient == "wife"
    assert "Gift" in watches.describe()
    daughter = Constraints(wanted={"gender": ["Girls"]}, soft={"usage": ["Gift"]}, recipient="daughter")
    assert start_new_search(daughter, [entity("product_type", "watches")], real, "she likes watches").values("gender") == ["Girls"]
    again = start_new_search(WIFE_GIFT, [entity("product_type", "handbags")], real, "handbags for my wife")
    assert again.values("gender") == ["Women"] and again.soft_values("usage") == ["Gift"]


@pytest.mark.parametrize(("text", "entities", "gender"), [
    ("and a tshirt for my son", [entity("product_type", "tshirts")], ["Boys"]),
    ("he likes watches", [entity("product_type", "watches")], ["Men", "Boys"]),
    ("show me watches", [entity("product_type", "watches")], []),
])
def test_someone_else_or_no_one_starts_afresh(text: str, entities: list[dict[str, str | None]], gender: list[str]) -> None:
    fresh = start_new_search(WIFE_GIFT, entities, real, text)
    assert fresh.values("gender") == gender and fresh.soft_values("usage") == []


def test_soft_values_round_trip_and_can_be_removed() -> None:
    assert Constraints.from_dict(WIFE_GIFT.to_dict()) == WIFE_GIFT
    removal = remove_constraints(WIFE_GIFT, [], real, "it's not a gift after all")
    assert removal.removed == ["Gift"] and removal.constraints.soft_values("usage") == []
    no_occasion = remove_constraints(WIFE_GIFT, [], real, "any occasion")
    assert no_occasion.constraints.soft_values("usage") == [] and no_occasion.constraints.values("gender") == ["Women"]


def test_words_read_from_text_use_exact_lookups_only() -> None:
    """Reading every word of a message must never guess: no close spellings, no nearest value by meaning."""
    for spec in REGISTRY:
        if spec.read_from_text:
            assert set(spec.synonyms) <= {"catalog", "table"}, spec.name


# --- the newest constraint is never dropped silently -----------------------------------------------

def test_a_refinement_protects_what_it_just_asked_for() -> None:
    men = Constraints(wanted={"product_type": ["Tops"], "colour": ["Blue"], "gender": ["Men"]}, latest=["gender"])
    assert newest(men) == ["gender"]
    relaxed, dropped = relax_once(men, keep=newest(men))
    assert dropped == "colour Blue" and relaxed.values("gender") == ["Men"]
    assert relax_once(relaxed, keep=newest(men)) == (relaxed, None)
    whole_request = Constraints(wanted={"product_type": ["Sandals"], "colour": ["Purple"], "gender": ["Men"]}, price_max=1.0,
                                latest=["product_type", "colour", "gender", "price"])
    assert newest(whole_request) == []  # said all at once: its least important part may still go


def test_a_phrase_says_the_constraints_as_a_person_would() -> None:
    men = Constraints(wanted={"product_type": ["Tops"], "colour": ["Blue"], "gender": ["Men"]}, price_max=20.0)
    assert men.phrase(only=["gender"]) == "Tops for Men"
    assert men.phrase(kinds=["Shirts", "Tshirts"]) == "Blue Shirts and Tshirts for Men under $20"
    assert Constraints(unwanted={"brand": ["Nike"]}).phrase() == "products other than Nike"


def test_budgets_are_said_in_the_catalog_currency() -> None:
    assert Constraints(price_max=500).price_text("SAR") == "under SAR 500"
    assert Constraints(price_min=20, price_max=80).describe("USD") == "$20–$80"
    assert Constraints(price_min=1500).price_text("INR") == "over INR 1,500"
