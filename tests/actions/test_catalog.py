"""What the shop carries, through the real action server: honest "we don't sell that" answers and catalog overviews.

Every count and name the tests expect is computed here from the integration catalog's CSV, not
through the retriever or the action under test.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from typing import Any

import pytest

from shop.settings import Settings
from tests.actions.conftest import Conversation
from tests.actions.test_action_server import cards, e, texts


@pytest.fixture(scope="module")
def rows(catalog_settings: Settings) -> list[dict[str, str]]:
    with catalog_settings.catalog_path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    """Most first, ties by name: the order the shop lists them in."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def departments(rows: list[dict[str, str]]) -> list[tuple[str, int]]:
    return ranked(Counter(r["master_category"] for r in rows))


def department_text(rows: list[dict[str, str]], department: str, count: int) -> str:
    """"apparel 797 (tshirts, shirts, kurtas)": the department, its count and its three most common product types."""
    kinds = ranked(Counter(r["product_type"] for r in rows if r["master_category"] == department))[:3]
    return f"{department.lower()} {count:,} ({', '.join(k.lower() for k, _ in kinds)})"


def payload(result: dict[str, Any], kind: str) -> dict[str, Any]:
    found = [r["custom"] for r in result["responses"] if (r.get("custom") or {}).get("type") == kind]
    assert found, f"no {kind} payload in {result['responses']}"
    return found[0]


def buttons(result: dict[str, Any]) -> list[dict[str, str]]:
    return [b for r in result["responses"] for b in r.get("buttons") or []]


def search_entities(button: dict[str, str]) -> list[dict[str, Any]]:
    intent, _, body = button["payload"].partition("{")
    assert intent == "/search_product", button
    return [e(name, value) for name, value in json.loads("{" + body).items()]


# --- products the shop does not carry --------------------------------------------------------------

NOT_CARRIED = [
    ("do you sell sofas?", [e("product_type", "sofas")], "sofas", "sofas"),
    ("I want a wooden coffee table", [e("material", "wooden"), e("product_type", "coffee table")], "coffee table", "coffee tables"),
    ("I want a wooden coffee table", [], "wooden coffee table", "wooden coffee tables"),
    ("bathroom lighting", [], "bathroom lighting", "bathroom lighting"),
    ("bathroom lighting", [e("product_type", "bathroom lighting")], "bathroom lighting", "bathroom lighting"),
    ("a bar stool for my kitchen", [e("product_type", "bar stool")], "bar stool", "bar stools"),
    ("do you have mattresses", [e("product_type", "mattresses")], "mattresses", "mattresses"),
    ("looking for a phone case", [e("product_type", "phone case")], "phone case", "phone cases"),
    ("pressure cooker please", [e("product_type", "pressure cooker")], "pressure cooker", "pressure cookers"),
    ("any wall clocks?", [e("product_type", "wall clocks")], "wall clocks", "wall clocks"),
]


@pytest.mark.parametrize(("text", "entities", "requested", "said"), NOT_CARRIED)
def test_a_kind_the_shop_does_not_sell_is_answered_honestly(conversation: Conversation, rows: list[dict[str, str]], text: str,
                                                            entities: list[dict[str, Any]], requested: str, said: str) -> None:
    before = cards(conversation.run("action_search_products", "kurtas", "search_product", [e("product_type", "kurtas")]))
    state = json.loads(json.dumps(conversation.slots["search_state"]))
    result = conversation.run("action_search_products", text, "search_product", entities)
    answer = texts(result)
    assert before and not cards(result), answer
    assert answer.startswith(f"We don't sell {said}.")
    names = [name for name, _ in departments(rows)]
    assert f"We have {names[0].lower()} (" in answer and names[-1].lower() in answer
    unsold = payload(result, "not_carried")
    assert unsold["requested"] == requested and unsold["categories"] == names
    assert len(buttons(result)) >= 2 and all(search_entities(b) for b in buttons(result))
    assert not [ev for ev in result["events"] if ev["event"] == "slot"], "the previous search must stay as it was"
    assert conversation.slots["search_state"] == state


def test_the_offered_searches_find_their_departments(conversation: Conversation, rows: list[dict[str, str]]) -> None:
    offered = buttons(conversation.run("action_search_products", "do you sell sofas?", "search_product", [e("product_type", "sofas")]))
    kinds = {name: {r["product_type"] for r in rows if r["master_category"] == name} for name, _ in departments(rows)}
    assert len(offered) == min(5, len(kinds))
    for button in offered:
        value = search_entities(button)[0]["value"]
        shown = cards(conversation.run("action_search_products", button["payload"], "search_product", search_entities(button)))
        assert shown, button
        expected = kinds.get(value, {value})  # a department's name searches the department, a type searches itself
        assert {c["product_type"] for c in shown} <= expected, (button, [c["product_type"] for c in shown])


def test_adding_a_kind_the_shop_does_not_sell_keeps_the_search(conversation: Conversation) -> None:
    shown = cards(conversation.run("action_search_products", "tshirts for men", "search_product", [e("product_type", "tshirts"), e("gender", "men")]))
    state = json.loads(json.dumps(conversation.slots["search_state"]))
    result = conversation.run("action_refine_search", "with a matching sofa", "add_constraint", [e("product_type", "sofa")])
    assert shown and not cards(result)
    assert texts(result).startswith("We don't sell sofas.") and payload(result, "not_carried")["requested"] == "sofa"
    assert conversation.slots["search_state"] == state


def test_a_request_with_a_kind_it_sells_shows_that_kind_and_says_what_it_lacks(conversation: Conversation) -> None:
    result = conversation.run("action_search_products", "sofas and sneakers", "search_product",
                              [e("product_type", "sofas"), e("product_type", "sneakers")])
    assert texts(result).startswith("We don't sell sofas, but here is the rest")
    shown = cards(result)
    assert shown and {c["product_type"] for c in shown} <= {"Casual Shoes", "Sports Shoes"}
    assert "sofas" not in conversation.slots["search_state"]["constraints"]["keywords"]


@pytest.mark.parametrize(("text", "entities"), [
    ("black sneakers for men", [e("color", "black"), e("product_type", "sneakers"), e("gender", "men")]),
    ("blak snekers", [e("color", "blak"), e("product_type", "snekers")]),
])
def test_shoes_in_the_customers_words_show_shoes(conversation: Conversation, text: str, entities: list[dict[str, Any]]) -> None:
    result = conversation.run("action_search_products", text, "search_product", entities)
    shown = cards(result)
    assert shown and not any((r.get("custom") or {}).get("type") == "not_carried" for r in result["responses"]), texts(result)
    assert all(c["colour"] == "Black" for c in shown)
    assert sum(c["product_type"] in ("Casual Shoes", "Sports Shoes") for c in shown) >= len(shown) - 1


def test_kurtas_show_kurtas(conversation: Conversation) -> None:
    shown = cards(conversation.run("action_search_products", "kurtas", "search_product", [e("product_type", "kurtas")]))
    assert shown and all(c["product_type"] == "Kurtas" for c in shown)


def test_hostile_text_in_a_product_word_stays_text(conversation: Conversation) -> None:
    result = conversation.run("action_search_products", "<img src=x onerror=alert(1)>", "search_product",
                              [e("product_type", "<img src=x onerror=alert(1)>")])
    assert not cards(result) and "<img" not in texts(result)
    assert payload(result, "not_carried")["requested"] == "<img src=x onerror=alert(1)>"


# --- "what do you sell?" ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["what do you sell?", "what kind of products do you have?"])
def test_overview_lists_departments_with_counts_and_kinds(conversation: Conversation, rows: list[dict[str, str]], text: str) -> None:
    result = conversation.run("action_catalog_overview", text, "catalog_overview")
    answer = texts(result)
    assert answer.startswith(f"We have {len(rows):,} products: ")
    for name, count in departments(rows):
        assert department_text(rows, name, count) in answer, answer
    overview = payload(result, "catalog_overview")
    assert [(c["name"], c["count"]) for c in overview["categories"]] == departments(rows)
    assert buttons(result) and not cards(result)


def test_brands_are_listed_with_counts(conversation: Conversation, rows: list[dict[str, str]]) -> None:
    result = conversation.run("action_catalog_overview", "which brands do you have?", "catalog_overview", [e("attribute", "brands")])
    answer = texts(result)
    brands = ranked(Counter(r["brand"] for r in rows if r["brand"]))
    assert answer.startswith(f"We carry {len(brands):,} brands. The biggest: ")
    for name, count in brands[:8]:
        assert f"{name} ({count:,})" in answer
    assert [b["title"] for b in buttons(result)] == [name for name, _ in brands[:5]]


@pytest.mark.parametrize(("text", "word", "groups", "label"), [
    ("anything for kids?", "kids", ("Boys", "Girls"), "boys and girls"),
    ("what do you have for men?", "men", ("Men",), "men"),
])
def test_a_group_gets_its_own_departments_and_counts(conversation: Conversation, rows: list[dict[str, str]], text: str, word: str,
                                                     groups: tuple[str, ...], label: str) -> None:
    result = conversation.run("action_catalog_overview", text, "catalog_overview", [e("gender", word)])
    answer = texts(result)
    mine = [r for r in rows if r["gender"] in groups]
    assert answer.startswith(f"We have {len(mine):,} products for {label}: ")
    for name, count in departments(mine):
        assert department_text(mine, name, count) in answer, answer
    kinds = ranked(Counter(r["product_type"] for r in mine))[:5]
    assert [b["title"] for b in buttons(result)] == [k for k, _ in kinds]
    assert all(dict((x["entity"], x["value"]) for x in search_entities(b))["gender"] == word for b in buttons(result))


def test_a_kind_gets_its_types_and_brands(conversation: Conversation, rows: list[dict[str, str]]) -> None:
    result = conversation.run("action_catalog_overview", "what kinds of bags do you have?", "catalog_overview", [e("product_type", "bags")])
    answer = texts(result)
    bags = [r for r in rows if (r["master_category"], r["sub_category"]) == ("Accessories", "Bags")]
    assert answer.startswith(f"We have {len(bags):,} bags: ")
    for name, count in ranked(Counter(r["product_type"] for r in bags))[:6]:
        assert f"{name.lower()} {count:,}" in answer
    top_brand, top_count = ranked(Counter(r["brand"] for r in bags))[0]
    assert f"Top brands: {top_brand} ({top_count:,})" in answer


def test_capabilities_are_explained_with_the_catalog(conversation: Conversation, rows: list[dict[str, str]]) -> None:
    result = conversation.run("action_catalog_overview", "what can you help me with?", "ask_capabilities")
    answer = texts(result)
    assert answer.startswith("I can find products in this shop for you.")
    assert all(name.lower() in answer for name, _ in departments(rows))
    assert buttons(result) and not cards(result)


# --- the greeting ----------------------------------------------------------------------------------

def test_the_greeting_suggests_searches_from_this_catalog_that_find_what_they_say(conversation: Conversation,
                                                                                 rows: list[dict[str, str]]) -> None:
    result = conversation.run("action_greet", "hi", "greet")
    common = ranked(Counter(r["product_type"] for r in rows))[0][0]
    offered = buttons(result)
    assert len(offered) == 3 and common.lower() in texts(result).lower(), texts(result)
    for button in offered:
        wanted = dict((x["entity"], x["value"]) for x in search_entities(button))
        shown = cards(conversation.run("action_search_products", button["payload"], "search_product", search_entities(button)))
        assert shown, button
        assert {c["product_type"] for c in shown} == {wanted["product_type"]}, (button, shown)
        if "price_max" in wanted:
            assert all(c["price"] <= float(wanted["price_max"]) for c in shown), button
        if "color" in wanted:
            assert {c["colour"] for c in shown} == {wanted["color"]}, button
