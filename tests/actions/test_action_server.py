"""Every custom action through the real action server over a real catalog (~1.6k Myntra products)."""

from __future__ import annotations

from typing import Any

from shop.messages import BUG_MESSAGE, TROUBLE_MESSAGE
from tests.actions.conftest import Conversation


def cards(result: dict[str, Any]) -> list[dict[str, Any]]:
    for response in result["responses"]:
        custom = response.get("custom") or {}
        if custom.get("type") == "product_cards":
            return list(custom["products"])
    return []


def texts(result: dict[str, Any]) -> str:
    return " ".join(r.get("text") or "" for r in result["responses"])


def e(name: str, value: str, role: str | None = None) -> dict[str, Any]:
    return {"entity": name, "value": value, **({"role": role} if role else {})}


def test_search_returns_matching_cards_with_text_form(conversation: Conversation) -> None:
    result = conversation.run("action_search_products", "show me black running shoes for men", "search_product",
                              [e("color", "black"), e("product_type", "running shoes"), e("gender", "men")])
    shown = cards(result)
    assert len(shown) == 5
    for card in shown:
        assert card["colour"] == "Black" and card["product_type"] == "Sports Shoes" and card["gender"] in ("Men", "Unisex")
        assert card["title"] and card["price_text"].startswith("$")
    custom = next(r["custom"] for r in result["responses"] if r.get("custom"))
    assert custom["text"].startswith("1. ") and shown[0]["title"] in custom["text"]
    assert conversation.slots["search_state"]["shown"] == [c["id"] for c in shown]


def test_refinements_accumulate_replace_and_exclude(conversation: Conversation) -> None:
    conversation.run("action_search_products", "tshirts for men", "search_product", [e("product_type", "tshirts"), e("gender", "men")])
    blue = cards(conversation.run("action_refine_search", "in blue", "add_constraint", [e("color", "blue")]))
    assert blue and all(c["colour"] == "Blue" and c["product_type"] == "Tshirts" for c in blue)
    red = cards(conversation.run("action_refine_search", "actually red", "add_constraint", [e("color", "red")]))
    assert red and all(c["colour"] == "Red" for c in red)
    brand = red[0]["brand"]
    without = cards(conversation.run("action_refine_search", f"not {brand}", "add_constraint", [e("brand", brand.lower(), "exclude")]))
    assert without and all(c["brand"] != brand for c in without)
    any_colour = conversation.run("action_refine_search", "any colour", "remove_constraint", [e("attribute", "colour")])
    assert "removed colour" in texts(any_colour)
    assert "colour" not in conversation.slots["search_state"]["constraints"]["wanted"]


def test_price_limits_and_cheaper(conversation: Conversation) -> None:
    first = cards(conversation.run("action_search_products", "watches under 100", "search_product", [e("product_type", "watches"), e("price_max", "100")]))
    assert first and all(c["price"] <= 100 for c in first)
    prices = sorted(c["price"] for c in first)
    cheaper = cards(conversation.run("action_refine_search", "cheaper", "change_price"))
    assert cheaper and max(c["price"] for c in cheaper) < prices[len(prices) // 2]


def test_no_results_relaxes_the_least_important_constraint(conversation: Conversation) -> None:
    result = conversation.run("action_search_products", "purple sandals for men under 1 dollar", "search_product",
                              [e("color", "purple"), e("product_type", "sandals"), e("gender", "men"), e("price_max", "1")])
    assert "dropped" in texts(result)
    assert cards(result), "relaxation must end with results"
    assert conversation.slots["search_state"]["constraints"]["price_max"] is None


def test_show_more_pages_without_repeats(conversation: Conversation) -> None:
    page1 = cards(conversation.run("action_search_products", "handbags", "search_product", [e("product_type", "handbags")]))
    page2 = cards(conversation.run("action_show_more", "show more", "show_more"))
    assert page2 and page2[0]["position"] == 6
    assert not {c["id"] for c in page1} & {c["id"] for c in page2}


def test_select_details_compare_and_similar(conversation: Conversation) -> None:
    shown = cards(conversation.run("action_search_products", "jeans for men", "search_product", [e("product_type", "jeans"), e("gender", "men")]))
    selected = conversation.run("action_select_product", "the second one", "select_item", [e("ordinal", "2")])
    assert shown[1]["title"] in texts(selected) and conversation.slots["focused_product"] == shown[1]["id"]
    sizes = conversation.run("action_product_details", "what sizes does it come in", "ask_details", [e("attribute", "sizes")])
    assert "sizes" in texts(sizes) and all(size in texts(sizes) for size in shown[1]["sizes"])
    compared = conversation.run("action_compare_products", "compare the first and the third", "compare", [e("ordinal", "1"), e("ordinal", "3")])
    payload = next(r["custom"] for r in compared["responses"] if r.get("custom"))
    assert payload["type"] == "comparison" and payload["products"] == [shown[0]["id"], shown[2]["id"]]
    similar = cards(conversation.run("action_more_like_this", "more like the first", "more_like_this", [e("ordinal", "1")]))
    assert similar and shown[0]["id"] not in {c["id"] for c in similar}
    assert all(c["product_type"] == "Jeans" for c in similar)


def test_negative_feedback_removes_the_product_for_the_session(conversation: Conversation) -> None:
    shown = cards(conversation.run("action_search_products", "sunglasses", "search_product", [e("product_type", "sunglasses")]))
    after = cards(conversation.run("action_record_feedback", "not this one", "feedback_negative", [e("product_id", shown[0]["id"])]))
    assert after and shown[0]["id"] not in {c["id"] for c in after}
    again = cards(conversation.run("action_search_products", "sunglasses", "search_product", [e("product_type", "sunglasses")]))
    assert shown[0]["id"] not in {c["id"] for c in again}


def test_add_to_cart_and_handoff(conversation: Conversation) -> None:
    shown = cards(conversation.run("action_search_products", "backpacks", "search_product", [e("product_type", "backpacks")]))
    added = conversation.run("action_add_to_cart", "add the first to my cart", "add_to_cart", [e("ordinal", "1")])
    assert any((r.get("custom") or {}).get("product_id") == shown[0]["id"] for r in added["responses"])
    handoff = conversation.run("action_handoff_to_human", "talk to a human", "request_human")
    assert any(ev["event"] == "pause" for ev in handoff["events"])


def test_reference_without_results_asks_a_clarifying_question(conversation: Conversation) -> None:
    result = conversation.run("action_select_product", "the second one", "select_item", [e("ordinal", "2")])
    assert "Which product" in texts(result) and "focused_product" not in conversation.slots


def test_unknown_action_input_is_answered_not_crashed(conversation: Conversation) -> None:
    result = conversation.run("action_search_products", "<script>alert(1)</script>' OR 1=1 --", "search_product",
                              [e("product_type", "<script>alert(1)</script>")])
    answer = texts(result)
    assert TROUBLE_MESSAGE not in answer and BUG_MESSAGE not in answer and "<script>" not in answer
    # Markup is no kind of product the shop sells: it is told so, and no search state is made up.
    assert answer.startswith("We don't sell script alert") and "search_state" not in conversation.slots


def test_repeated_rejections_offer_a_person(conversation: Conversation) -> None:
    shown = cards(conversation.run("action_search_products", "caps", "search_product", [e("product_type", "caps")]))
    offers = []
    for card in shown[:3]:
        result = conversation.run("action_record_feedback", f"/feedback_negative{{\"product_id\": \"{card['id']}\"}}", "feedback_negative", [e("product_id", card["id"])])
        offers.append("help from a member of our team" in texts(result))
    assert offers == [False, False, True]
