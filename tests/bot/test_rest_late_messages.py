"""The REST channel hands a customer, once, the messages logged between their turns (staff replies, the timeout notice)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationPaused, ConversationResumed, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.channels.rest import _recent_sql_events, late_messages
from shop.messages import HANDOFF_MESSAGE, HANDOFF_TIMEOUT_MESSAGE, OUT_OF_TURN


def events(*items: Event) -> list[dict[str, Any]]:
    """Serialised as the tracker store hands them back."""
    return [item.as_dict() for item in items]


def user(text: str, message_id: str) -> UserUttered:
    return UserUttered(text, {"name": "greet", "confidence": 1.0}, message_id=message_id)


HANDED_OVER = (
    user("/request_human", "m1"),
    ActionExecuted("action_handoff_to_human"),
    BotUttered(HANDOFF_MESSAGE, {"custom": {"type": "handoff", "status": "waiting"}}),
    ConversationPaused(),
)


def test_the_timeout_notice_comes_with_the_next_answer_and_only_then() -> None:
    log = events(
        *HANDED_OVER,
        BotUttered(HANDOFF_TIMEOUT_MESSAGE, metadata={OUT_OF_TURN: True, "handoff": "timeout"}),
        ConversationResumed(),
        ActionExecuted("action_listen"),
        user("hello?", "m2"),
        ActionExecuted("utter_greet"),
        BotUttered("Hi!"),
        ActionExecuted("action_listen"),
        user("shoes", "m3"),
    )
    assert [m["text"] for m in late_messages(log, "m2", "rest-1")] == [HANDOFF_TIMEOUT_MESSAGE]
    assert late_messages(log, "m2", "rest-1")[0]["recipient_id"] == "rest-1"
    assert late_messages(log, "m3", "rest-1") == []  # "Hi!" was the answer to m2 itself
    assert late_messages(log, "m1", "rest-1") == []


def test_staff_replies_while_paused_and_the_hand_back_are_delivered() -> None:
    log = events(
        *HANDED_OVER,
        BotUttered("Hi, Alice here", metadata={"staff": "alice", OUT_OF_TURN: True}),
        user("I need a size M", "m2"),  # paused: no answer of its own
        BotUttered("Size M is in stock", metadata={"staff": "alice", OUT_OF_TURN: True}),
        ConversationResumed(),
        ActionExecuted("utter_anything_else"),
        BotUttered("Anything else I can help you find?", metadata={"utter_action": "utter_anything_else"}),
        ActionExecuted("action_listen"),
        user("no thanks", "m3"),
    )
    assert [m["text"] for m in late_messages(log, "m2", "rest-1")] == ["Hi, Alice here"]
    assert [m["text"] for m in late_messages(log, "m3", "rest-1")] == ["Size M is in stock", "Anything else I can help you find?"]
    assert late_messages(log, "m3", "rest-1")[0]["metadata"]["staff"] == "alice"


def test_an_unknown_message_gets_nothing() -> None:
    assert late_messages(events(*HANDED_OVER), "not-there", "rest-1") == []


def test_the_sql_read_back_stops_at_the_previous_message(tmp_path: Path) -> None:
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.db"))
    tracker = DialogueStateTracker("rest-1", [])
    for number in range(40):  # a long conversation before the handoff
        for event in (user("show me shoes", f"old-{number}"), ActionExecuted("utter_greet"), BotUttered("Hi!"), ActionExecuted("action_listen")):
            tracker.update(event)
    for event in (*HANDED_OVER, BotUttered(HANDOFF_TIMEOUT_MESSAGE, metadata={OUT_OF_TURN: True}), ConversationResumed(),
                  ActionExecuted("action_listen"), user("hello?", "m2"), ActionExecuted("utter_greet"), BotUttered("Hi!")):
        tracker.update(event)
    asyncio.run(store.save(tracker))
    window = _recent_sql_events(store, "rest-1", "m2")
    assert [e["event"] for e in window][:2] == ["user", "action"] and window[0]["message_id"] == "m1"
    assert [m["text"] for m in late_messages(window, "m2", "rest-1")] == [HANDOFF_TIMEOUT_MESSAGE]
