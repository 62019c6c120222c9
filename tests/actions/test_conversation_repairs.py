"""Conversation behaviours that depend on the attribute registry and on what is on screen, through the real action server.

Each test drives the real action server over the integration catalog (about 1.6k Myntra products),
turn by turn, with the intents and entities the NLU would send (often none: the customer's words
must be enough).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from tests.actions.conftest import Conversation
from tests.actions.test_action_server import cards, e, texts


def buttons(result: dict[str, Any]) -> list[dict[str, str]]:
    return [b for r in result["responses"] for b in r.get("buttons") or []]


def constraints(conversation: Conversation) -> dict[str, Any]:
    return dict(conversation.slots["search_state"]["constraints"])


def payload_of(button: dict[str, str]) -> tuple[str, dict[str, Any]]:
    intent, _, body = button["payload"].partition("{")
    return intent.lstrip("/"), json.loads("{" + body) if body else {}


# --- relaxing in the customer's own words -------------------------------------------------------

def _shoes_with_everything(conversation: Conversation) -> None:
    conversation.run("action_search_products", "black nike sports shoes for men in size 9 under 200", "search_product",
                     [e("color", "black"), e("brand", "nike"), e("product_type", "sports shoes"), e("gender", "men"),
                      e("size", "9"), e("price_max", "200")])


@pytest.mark.parametrize(("text", "gone"), [
    ("any colour is fine", "colour"),
    ("forget the budget", "price"),
    ("never mind the size", "size"),
    ("I don't care about the brand", "brand"),
])
def test_relaxing_in_own_words_without_tagged_attribute(conversation: Conversation, text: str, gone: str) -> None:
    _shoes_with_everything(conversation)
    before = constraints(conversation)
    result = conversation.run("action_refine_search", text, "remove_constraint")
    after = constraints(conversation)
    assert f"OK, I removed {gone}" in texts(result)
    if gone == "price":
        assert before["price_max"] == 200 and after["price_max"] is None
    else:
        assert before["wanted"].get(gone) and not after["wanted"].get(gone)
    assert after["wanted"]["product_type"] == ["Sports Shoes"]
    assert cards(result), "the relaxed search shows products"


def test_clear_all_filters_keeps_the_kind_of_product(conversation: Conversation) -> None:
    _shoes_with_everything(conversation)
    result = conversation.run("action_refine_search", "clear all filters", "remove_constraint")
    assert "OK, I removed all filters" in texts(result)
    after = constraints(conversation)
    assert after["wanted"] == {"product_type": ["Sports Shoes"]} and after["price_max"] is None
    assert {c["product_type"] for c in cards(result)} == {"Sports Shoes"}


def test_start_over_clears_everything_and_asks(conversation: Conversation) -> None:
    _shoes_with_everything(conversation)
    result = conversation.run("action_refine_search", "let's start over", "remove_constraint")
    assert "start over" in texts(result) and not cards(result)
    assert conversation.slots["search_state"]["constraints"]["wanted"] == {}
    assert conversation.slots["search_state"]["shown"] == []


# --- "which one?" buttons ---------------------------------------------------------------------------

def test_which_one_buttons_name_products_and_keep_the_intent(conversation: Conversation) -> None:
    shown = cards(conversation.run("action_search_products", "tshirts for men", "search_product",
                                   [e("product_type", "tshirts"), e("gender", "men")]))
    colour, count = Counter(c["colour"] for c in shown).most_common(1)[0]
    assert count >= 2, "the first page of men's tshirts repeats a colour"
    same = [c for c in shown if c["colour"] == colour]
    asked = conversation.run("action_add_to_cart", f"add the {colour.lower()} one to my cart", "add_to_cart", [e("color", colour.lower())])
    assert "Which one do you mean?" in texts(asked)
    options = buttons(asked)
    assert [payload_of(b) for b in options] == [("add_to_cart", {"product_id": c["id"]}) for c in same]
    assert [b["title"].split()[0] for b in options] == [f"#{c['position']}" for c in same]
    # clicking the second option adds exactly that product, not the second product on the page
    intent, body = payload_of(options[1])
    added = conversation.run("action_add_to_cart", options[1]["payload"], intent, [e("product_id", body["product_id"])])
    cart = [r["custom"] for r in added["responses"] if (r.get("custom") or {}).get("type") == "cart_added"]
    assert cart and cart[0]["product_id"] == same[1]["id"]


# --- ordinals that cannot be resolved ----------------------------------------------------------------

def test_an_ordinal_past_the_page_asks_and_never_acts_on_another_product(conversation: Conversation) -> None:
    shown = cards(conversation.run("action_search_products", "watches", "search_product", [e("product_type", "watches")]))
    assert len(shown) == 5
    conversation.run("action_select_product", "the first one", "select_item", [e("ordinal", "1")])
    assert conversation.slots["focused_product"] == shown[0]["id"]
    result = conversation.run("action_add_to_cart", "add the 6th to my cart", "add_to_cart", [e("ordinal", "6")])
    assert "only have products 1–5" in texts(result) and "Which one" in texts(result)
    assert not any((r.get("custom") or {}).get("type") == "cart_added" for r in result["responses"])


def test_second_to_last_picks_the_fourth_of_five(conversation: Conversation) -> None:
    shown = cards(conversation.run("action_search_products", "handbags", "search_product", [e("product_type", "handbags")]))
    result = conversation.run("action_select_product", "the second to last one", "select_item")
    assert shown[3]["title"] in texts(result) and conversation.slots["focused_product"] == shown[3]["id"]


@pytest.mark.parametrize("text", ["do you have it in size 8", "which one is the most lasting"])
def test_text_that_only_looks_like_an_ordinal_asks(conversation: Conversation, text: str) -> None:
    conversation.run("action_search_products", "casual shoes for men", "search_product", [e("product_type", "casual shoes"), e("gender", "men")])
    conversation.run("action_show_more", "show more", "show_more")
    page_two = conversation.slots["search_state"]["shown"]
    assert conversation.slots["search_state"]["first_position"] == 6
    result = conversation.run("action_select_product", text, "select_item")
    assert "Which one do you mean?" in texts(result)
    assert "focused_product" not in conversation.slots
    assert {payload_of(b)[1]["product_id"] for b in buttons(result)} == set(page_two)


# --- references resolve against what is on screen ------------------------------------------------------

def test_more_like_this_becomes_the_list_on_screen(conversation: Conversation) -> None:
    shown = cards(conversation.run("action_search_products", "jeans for men", "search_product", [e("product_type", "jeans"), e("gender", "men")]))
    similar = cards(conversation.run("action_more_like_this", "more like the first", "more_like_this", [e("ordinal", "1")]))
    assert similar and conversation.slots["search_state"]["shown"] == [c["id"] for c in similar]
    picked = conversation.run("action_select_product", "the second one", "select_item", [e("ordinal", "2")])
    assert conversation.slots["focused_product"] == similar[1]["id"] and similar[1]["title"] in texts(picked)
    # a thumbs-down on a similar product refreshes the similar products, not the old search
    after = conversation.run("action_record_feedback", f'/feedback_negative{{"product_id": "{similar[0]["id"]}"}}',
                             "feedback_negative", [e("product_id", similar[0]["id"])])
    again = cards(after)
    assert "More like" in texts(after) and similar[0]["id"] not in {c["id"] for c in again}
    assert {c["id"] for c in again} != {c["id"] for c in shown[1:]}
    assert conversation.slots["search_state"]["view"] == "similar"


def test_other_colours_become_the_list_on_screen(conversation: Conversation) -> None:
    shown = cards(conversation.run("action_search_products", "tshirts for men", "search_product",
                                   [e("product_type", "tshirts"), e("gender", "men")]))
    anchor = shown[0]
    colours = conversation.run("action_product_details", "other colours", "ask_details",
                               [e("attribute", "colours"), e("product_id", anchor["id"])])
    others = cards(colours)
    assert others and all(c["colour"] != anchor["colour"] for c in others)
    assert conversation.slots["search_state"]["shown"] == [c["id"] for c in others]
    picked = conversation.run("action_select_product", "the first one", "select_item", [e("ordinal", "1")])
    assert conversation.slots["focused_product"] == others[0]["id"] and others[0]["title"] in texts(picked)


def test_cards_stay_referable_after_the_last_page(conversation: Conversation) -> None:
    conversation.run("action_search_products", "bath robes", "search_product", [e("product_type", "bath robe")])
    pages = [conversation.slots["search_state"]["shown"]]
    for _ in range(10):
        result = conversation.run("action_show_more", "show more", "show_more")
        if "That's everything I have" in texts(result):
            break
        pages.append(conversation.slots["search_state"]["shown"])
    else:
        pytest.fail("the search never ended")
    assert conversation.slots["search_state"]["shown"] == pages[-1]
    conversation.run("action_select_product", "the first one", "select_item", [e("ordinal", "1")])
    assert conversation.slots["focused_product"] == pages[-1][0]


# --- synonyms and the gender filter --------------------------------------------------------------------

def test_sneakers_mean_casual_and_sports_shoes(conversation: Conversation) -> None:
    result = conversation.run("action_search_products", "sneakers", "search_product", [e("product_type", "sneakers")])
    assert sorted(constraints(conversation)["wanted"]["product_type"]) == ["Casual Shoes", "Sports Shoes"]
    assert {c["product_type"] for c in cards(result)} <= {"Casual Shoes", "Sports Shoes"}


def test_kids_mean_boys_and_girls(conversation: Conversation) -> None:
    result = conversation.run("action_search_products", "tshirts for kids", "search_product", [e("product_type", "tshirts"), e("gender", "kids")])
    assert sorted(constraints(conversation)["wanted"]["gender"]) == ["Boys", "Girls"]
    assert {c["gender"] for c in cards(result)} <= {"Boys", "Girls", "Unisex"}


def test_a_wedding_means_every_fitting_occasion(conversation: Conversation) -> None:
    conversation.run("action_search_products", "kurtas for a wedding", "search_product", [e("product_type", "kurtas"), e("occasion", "wedding")])
    assert {"Ethnic", "Formal"} <= set(constraints(conversation)["wanted"]["usage"])  # no party wear in this catalog


def test_a_gender_filter_includes_unisex_products(conversation: Conversation) -> None:
    result = conversation.run("action_search_products", "backpacks for men", "search_product", [e("product_type", "backpacks"), e("gender", "men")])
    shown = cards(result)
    assert len(shown) == 5, "only 2 backpacks in the catalog are for men; unisex ones fill the page"
    assert {c["gender"] for c in shown} <= {"Men", "Unisex"} and "Unisex" in {c["gender"] for c in shown}


def test_gender_carries_over_only_when_the_words_imply_it(conversation: Conversation) -> None:
    conversation.run("action_search_products", "shirts for men", "search_product", [e("product_type", "shirts"), e("gender", "men")])
    conversation.run("action_search_products", "show me handbags", "search_product", [e("product_type", "handbags")])
    assert "gender" not in constraints(conversation)["wanted"]
    conversation.run("action_search_products", "shirts for men", "search_product", [e("product_type", "shirts"), e("gender", "men")])
    conversation.run("action_search_products", "and a matching belt", "search_product", [e("product_type", "belt")])
    assert constraints(conversation)["wanted"]["gender"] == ["Men"]


def test_a_price_entity_without_a_number_keeps_the_budget(conversation: Conversation) -> None:
    conversation.run("action_search_products", "watches under 50", "search_product", [e("product_type", "watches"), e("price_max", "50")])
    conversation.run("action_refine_search", "in black within my budget", "add_constraint", [e("color", "black"), e("price_max", "budget")])
    assert constraints(conversation)["price_max"] == 50
    assert constraints(conversation)["wanted"]["colour"] == ["Black"]


def test_an_excluded_material_filters_products(conversation: Conversation) -> None:
    with_leather = cards(conversation.run("action_search_products", "leather wallets", "search_product",
                                          [e("product_type", "wallets"), e("material", "leather")]))
    assert any("leather" in c["title"].lower() for c in with_leather)
    result = conversation.run("action_refine_search", "not leather", "add_constraint", [e("material", "leather", "exclude")])
    assert "not leather" in texts(result)
    seen = cards(result)
    for _ in range(10):  # every wallet the search can show, page by page
        more = conversation.run("action_show_more", "show more", "show_more")
        if not cards(more):
            break
        seen += cards(more)
    assert seen and not any("leather" in c["title"].lower() for c in seen)
    assert len({c["id"] for c in seen}) == len(seen) >= 20, "only the leather wallets are left out"


# --- outages and bugs are told apart -------------------------------------------------------------------

def test_an_unreachable_store_is_an_outage_not_a_bug(catalog_settings: Any) -> None:
    """An action server whose database is down answers "trouble reaching the shop" and keeps serving."""
    from shop.messages import TROUBLE_MESSAGE
    from shop.ops.stack import base_env, free_port, start_action_server

    settings = catalog_settings.model_copy(update={
        "action_port": free_port(), "database_url": f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none",
    })
    server = start_action_server(settings, base_env(settings))
    try:
        server.wait_ready(180)
        down = Conversation(f"http://127.0.0.1:{settings.action_port}/webhook", sender="outage")
        for _ in range(2):  # the second turn too: the server must still answer, not crash
            result = down.run("action_search_products", "watches", "search_product", [e("product_type", "watches")])
            assert texts(result) == TROUBLE_MESSAGE
    finally:
        server.stop()
