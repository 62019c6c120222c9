"""A conversation as a rasa test story, as the policies saw it (review/stories.py)."""

from __future__ import annotations

from typing import Any

from review.stories import applied_events, story_steps


def test_reverted_turns_are_left_out_as_rasa_leaves_them_out(events: Any) -> None:
    conversation = events.user("hello", "greet").action("action_greet").bot("Hi").action("action_listen") \
        .user("asdf", "nlu_fallback", 0.4).action("action_default_fallback").add({"event": "rewind"}) \
        .search("red shoes", ["1"])
    texts = [e.get("text") for _, e in applied_events(conversation.items) if e.get("event") == "user"]
    assert texts == ["hello", "red shoes"]


def test_a_new_session_starts_the_story_over(events: Any) -> None:
    conversation = events.search("old search", ["1"]).action("action_session_start").add({"event": "session_started"}) \
        .search("new search", ["2"])
    steps = story_steps(conversation.items, {})
    assert [s.get("user") for s in steps if "user" in s] == ["new search"]


def test_corrections_win_and_the_story_stops_where_staff_took_over(events: Any) -> None:
    entity = [{"start": 0, "end": 3, "entity": "color", "value": "red"}]
    conversation = events.search("red wellies", ["5"], entities=entity) \
        .user("/request_human", "request_human", 1.0).action("action_handoff_to_human").bot("passing you on").add({"event": "pause"}) \
        .user("hello? anyone", "greet")
    event_id = next(i for i, e in conversation.items if e.get("text") == "red wellies")
    fixed = {"intent": "search_product", "entities": [{"start": 0, "end": 3, "entity": "color", "role": None},
                                                       {"start": 4, "end": 11, "entity": "product_type", "role": None}]}
    steps = story_steps(conversation.items, {event_id: fixed})
    assert steps == [
        {"user": "red wellies", "intent": "search_product", "entities": [
            {"start": 0, "end": 3, "entity": "color", "role": None}, {"start": 4, "end": 11, "entity": "product_type", "role": None}]},
        {"action": "action_search_products"},
        {"intent": "request_human"},
        {"action": "action_handoff_to_human"},
    ]


def test_a_last_message_nobody_answered_is_dropped(events: Any) -> None:
    conversation = events.search("red shoes", ["1"]).user("and blue?", "add_constraint")
    assert story_steps(conversation.items, {})[-1] == {"action": "action_search_products"}
