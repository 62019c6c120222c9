"""Which messages of a conversation join the review queue, and why (review/signals.py)."""

from __future__ import annotations

from typing import Any

from review.signals import abandoned, scan_events

LOW = 0.7


def reasons(conversation: Any) -> dict[str, list[str]]:
    return {c.text: c.reasons for c in scan_events(conversation.items, low_confidence=LOW).flagged}


def test_a_confident_conversation_flags_nothing(events: Any) -> None:
    conversation = events.search("red shoes", ["1", "2"]).user("thanks", "thank").action("utter_youre_welcome")
    assert reasons(conversation) == {}


def test_fallback_keeps_the_best_real_intent_and_records_the_did_you_mean(events: Any) -> None:
    ranking = [{"name": "nlu_fallback", "confidence": 0.5}, {"name": "compare", "confidence": 0.31}]
    conversation = events.user("the thing from before", "nlu_fallback", 0.5, ranking=ranking).action("action_two_stage_fallback") \
        .action("action_default_ask_affirmation").bot("Sorry, did you want to compare products?")
    [flagged] = scan_events(conversation.items, low_confidence=LOW).flagged
    assert flagged.intent == "compare" and flagged.confidence == 0.31
    assert flagged.reasons == ["fallback", "did_you_mean"]


def test_low_confidence_and_a_click_on_talk_to_a_person(events: Any) -> None:
    conversation = events.user("blorp fnarg", "change_price", 0.53).action("action_refine_search").bot("Cheaper ones") \
        .user("/request_human", "request_human", 1.0).action("action_handoff_to_human")
    assert reasons(conversation) == {"blorp fnarg": ["low_confidence", "handoff"]}


def test_two_thumbs_down_on_one_search_flag_that_search_not_the_clicks(events: Any) -> None:
    conversation = events.search("tshirts for men", ["7", "8", "9"]) \
        .user('/feedback_negative{"product_id": "7"}', "feedback_negative", 1.0, entities=[{"entity": "product_id", "value": "7"}]) \
        .user('/feedback_negative{"product_id": "8"}', "feedback_negative", 1.0, entities=[{"entity": "product_id", "value": "8"}])
    result = scan_events(conversation.items, low_confidence=LOW)
    assert [(c.text, c.reasons, c.products) for c in result.flagged] == [("tshirts for men", ["thumbs_down_streak"], ["7", "8", "9"])]


def test_one_thumbs_down_is_an_opinion_not_a_streak(events: Any) -> None:
    conversation = events.search("tshirts", ["7"]).user('/feedback_negative{"product_id": "7"}', "feedback_negative", 1.0)
    assert reasons(conversation) == {}


def test_no_after_a_search_means_it_was_not_what_they_asked(events: Any) -> None:
    conversation = events.search("jumper for my nan", ["3"]).user("no that's not what i asked", "deny").action("utter_anything_else")
    assert reasons(conversation) == {"jumper for my nan": ["not_what_i_asked"]}


def test_a_search_that_found_nothing_is_abandoned_only_after_the_silence(events: Any) -> None:
    conversation = events.user("do you sell fridges", "search_product").action("action_search_products").bot("We don't sell fridges.")
    result = scan_events(conversation.items, low_confidence=LOW)
    assert result.flagged == [] and result.no_result_since is not None
    assert abandoned(result, conversation.items, now=result.no_result_since + 60, after_seconds=600) is None
    left = abandoned(result, conversation.items, now=result.no_result_since + 601, after_seconds=600)
    assert left is not None and left.text == "do you sell fridges" and left.reasons == ["abandoned_no_result"]


def test_a_search_with_results_is_not_abandoned(events: Any) -> None:
    conversation = events.search("red shoes", ["1"])
    assert scan_events(conversation.items, low_confidence=LOW).no_result_since is None


def test_the_two_stage_fallback_asking_counts_as_did_you_mean(events: Any) -> None:
    ranking = [{"name": "nlu_fallback", "confidence": 0.5}, {"name": "more_like_this", "confidence": 0.31}]
    conversation = events.user("hmm the thing from before", "nlu_fallback", 0.5, ranking=ranking).action("action_two_stage_fallback") \
        .bot("Sorry, did you want to see similar products?")
    assert reasons(conversation) == {"hmm the thing from before": ["fallback", "did_you_mean"]}
