"""Context a person would carry, through the real action server over the integration catalog.

Who a gift is for and that it is a gift carry over to the next request about the same person; what
the customer has just asked for is never the constraint silently dropped; "the checked ones" and
"the cheapest" resolve against the cards on screen. Intents and entities are what the NLU sends for
these messages (often no entity: the customer's words must be enough).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from retrieval.feedback import FeedbackStore, Reaction
from shop.settings import Settings
from tests.actions.conftest import Conversation
from tests.actions.test_action_server import cards, e, texts
from tests.actions.test_conversation_repairs import buttons, constraints, payload_of


@pytest.fixture(scope="module")
def feedback(catalog_settings: Settings) -> Iterator[FeedbackStore]:
    """The feedback store the action server writes to, read directly."""
    from retrieval.store import make_engine

    engine = make_engine(catalog_settings.resolved_database_url)
    yield FeedbackStore(engine)
    engine.dispose()


def summary(result: dict[str, Any]) -> str:
    return next(r["custom"]["constraints"] for r in result["responses"] if (r.get("custom") or {}).get("type") == "product_cards")


FORMS = {"checked": ("check", "checked", "checks"), "striped": ("striped", "stripes", "stripe")}


def has_word(card: dict[str, Any], word: str) -> bool:
    """Whether a card's title uses any form of the word ("Check", "Checks" for checked)."""
    return bool(set(FORMS.get(word, (word,))) & set(re.findall(r"[a-z]+", card["title"].lower())))


# --- who it is for, and that it is a gift ---------------------------------------------------------

def test_a_gift_for_my_wife_then_she_likes_watches(conversation: Conversation) -> None:
    gift = conversation.run("action_search_products", "i need a gift for my wife", "search_product", [e("gender", "wife")])
    assert cards(gift) and {c["gender"] for c in cards(gift)} <= {"Women", "Unisex"}
    assert constraints(conversation)["wanted"] == {"gender": ["Women"]}
    assert constraints(conversation)["soft"] == {"usage": ["Gift"]} and "Gift" in summary(gift)

    watches = conversation.run("action_search_products", "she likes watches", "search_product", [e("product_type", "watches")])
    shown = cards(watches)
    assert shown and all(c["product_type"] == "Watches" and c["gender"] in ("Women", "Unisex") for c in shown)
    assert constraints(conversation)["wanted"]["gender"] == ["Women"]
    assert constraints(conversation)["soft"] == {"usage": ["Gift"]}, "still a gift"
    assert summary(watches) == "Watches · for Women · Gift"


def test_a_request_for_someone_else_replaces_who_and_the_gift(conversation: Conversation) -> None:
    conversation.run("action_search_products", "i need a gift for my wife", "search_product", [e("gender", "wife")])
    result = conversation.run("action_search_products", "and a tshirt for my son", "search_product", [e("product_type", "tshirts")])
    assert constraints(conversation)["wanted"] == {"product_type": ["Tshirts"], "gender": ["Boys"]}
    assert not constraints(conversation)["soft"]
    assert cards(result) and {c["gender"] for c in cards(result)} <= {"Boys", "Unisex"}


def test_a_present_for_dad_with_no_entity_for_him(conversation: Conversation) -> None:
    result = conversation.run("action_search_products", "a birthday present for my dad, maybe a wallet", "search_product",
                              [e("occasion", "birthday"), e("product_type", "wallet")])
    assert constraints(conversation)["wanted"] == {"product_type": ["Wallets"], "gender": ["Men"]}
    assert constraints(conversation)["soft"] == {"usage": ["Gift"]}
    assert {c["gender"] for c in cards(result)} <= {"Men", "Unisex"}


# --- the newest constraint is never the one dropped ------------------------------------------------

def test_now_for_men_is_kept_and_the_nearest_kinds_for_men_are_shown(conversation: Conversation) -> None:
    conversation.run("action_search_products", "show me tops for women", "search_product", [e("product_type", "tops"), e("gender", "women")])
    blue = cards(conversation.run("action_refine_search", "in blue", "add_constraint", [e("color", "blue")]))
    assert blue and all(c["product_type"] == "Tops" and c["colour"] == "Blue" for c in blue)

    result = conversation.run("action_refine_search", "now for men", "add_constraint", [e("gender", "men")])
    answer, shown = texts(result), cards(result)
    assert answer.startswith("No Tops for Men here; here are ") and "for Men instead." in answer
    assert "dropped" not in answer
    assert shown and all(c["gender"] in ("Men", "Unisex") and c["product_type"] != "Tops" for c in shown)
    after = constraints(conversation)
    assert after["wanted"]["gender"] == ["Men"] and "Tops" not in after["wanted"]["product_type"]
    assert {c["product_type"] for c in shown} <= set(after["wanted"]["product_type"])
    assert len(after["wanted"]["product_type"]) == 2 and all(kind in answer for kind in after["wanted"]["product_type"])
    assert {"Shirts", "Tshirts"} & set(after["wanted"]["product_type"]), "the kinds closest to tops"


def test_a_whole_request_at_once_still_relaxes_its_least_important_part(conversation: Conversation) -> None:
    result = conversation.run("action_search_products", "purple sandals for men under 1 dollar", "search_product",
                              [e("color", "purple"), e("product_type", "sandals"), e("gender", "men"), e("price_max", "1")])
    assert "Nothing matched everything, so I dropped under $1" in texts(result) and cards(result)


# --- references to what is on screen, in the customer's words ------------------------------------------

def _page_with(conversation: Conversation, word: str, *, at_least: int) -> list[dict[str, Any]]:
    """Page through men's shirts until the screen holds ``at_least`` cards whose title has ``word``."""
    shown = cards(conversation.run("action_search_products", "shirts for men", "search_product",
                                   [e("product_type", "shirts"), e("gender", "men")]))
    for _ in range(10):
        if sum(has_word(c, word) for c in shown) >= at_least:
            return shown
        shown = cards(conversation.run("action_show_more", "show more", "show_more"))
    pytest.fail(f"no page of men's shirts shows {at_least} {word} shirts")


def test_i_like_the_checked_ones_likes_each_checked_shirt(conversation: Conversation, feedback: FeedbackStore) -> None:
    shown = _page_with(conversation, "checked", at_least=2)
    checked = [c for c in shown if has_word(c, "checked")]
    result = conversation.run("action_record_feedback", "i like the checked ones", "feedback_positive")
    answer = texts(result)
    assert "Which one" not in answer and answer.startswith("Glad you like ")
    assert all(c["title"] in answer for c in checked)
    assert not any(c["title"] in answer for c in shown if c not in checked)
    likes = [r.product_id for r in feedback.history(customer_id=conversation.sender) if r.kind is Reaction.LIKE]
    assert sorted(likes) == sorted(c["id"] for c in checked), "one like per checked shirt"


def test_i_dont_like_the_striped_ones_leaves_each_out(conversation: Conversation) -> None:
    shown = _page_with(conversation, "striped", at_least=1)
    striped = [c for c in shown if has_word(c, "striped")]
    result = conversation.run("action_record_feedback", "i don't like the striped ones", "feedback_negative")
    assert texts(result).startswith("Got it, I'll leave out ") and all(c["title"] in texts(result) for c in striped)
    assert cards(result) and not {c["id"] for c in striped} & {c["id"] for c in cards(result)}


def test_selecting_the_checked_one_of_several_asks_which(conversation: Conversation) -> None:
    shown = _page_with(conversation, "checked", at_least=2)
    checked = [c for c in shown if has_word(c, "checked")]
    result = conversation.run("action_select_product", "show me the checked one", "select_item")
    assert "Several products on screen fit that. Which one do you mean?" in texts(result)
    assert [payload_of(b) for b in buttons(result)] == [("select_item", {"product_id": c["id"]}) for c in checked]
    assert "focused_product" not in conversation.slots


def test_the_cheapest_and_a_brand_without_entities(conversation: Conversation) -> None:
    shown = _page_with(conversation, "checked", at_least=1)
    cheapest = min(shown, key=lambda c: c["price"])
    assert sum(c["price"] == cheapest["price"] for c in shown) == 1
    added = conversation.run("action_add_to_cart", "add the cheapest one to my cart", "add_to_cart")
    cart = [r["custom"] for r in added["responses"] if (r.get("custom") or {}).get("type") == "cart_added"]
    assert cart and cart[0]["product_id"] == cheapest["id"]
    # a one-word brand held by exactly one card on screen, named with no entity
    brand = next(c["brand"] for c in shown if " " not in c["brand"] and sum(x["brand"] == c["brand"] for x in shown) == 1)
    card = next(c for c in shown if c["brand"] == brand)
    picked = conversation.run("action_select_product", f"the {brand.lower()} one", "select_item")
    assert conversation.slots["focused_product"] == card["id"] and card["title"] in texts(picked)


def test_a_description_that_fits_nothing_on_screen_asks(conversation: Conversation) -> None:
    shown = _page_with(conversation, "checked", at_least=1)
    absent = next(w for w in ("floral", "camouflage", "paisley") if not any(w in json.dumps(c).lower() for c in shown))
    result = conversation.run("action_record_feedback", f"i like the {absent} ones", "feedback_positive")
    assert f"I don't see any {absent} ones on screen. Which one do you mean?" in texts(result)
    assert {payload_of(b)[1]["product_id"] for b in buttons(result)} == {c["id"] for c in shown}

