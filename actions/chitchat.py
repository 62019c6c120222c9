"""Small talk that needs the conversation itself: "say that again" repeats the last answer."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict


def last_answer(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The bot messages of the last turn before the current message (empty when the bot has said nothing)."""
    users = [i for i, event in enumerate(events) if event.get("event") == "user"]
    if len(users) < 2:
        window = events[: users[-1]] if users else events
    else:
        window = events[users[-2]: users[-1]]
    return [event for event in window if event.get("event") == "bot"]


class ActionRepeatLast(Action):
    """Send the previous answer again, cards and buttons included."""

    def name(self) -> str:
        return "action_repeat_last"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Repeat every message of the bot's last turn; with nothing said yet, ask what the customer needs."""
        messages = last_answer(list(tracker.events))
        if not messages:
            dispatcher.utter_message(response="utter_nothing_to_repeat")
            return []
        for event in messages:
            data = event.get("data") or {}
            dispatcher.utter_message(
                text=event.get("text"), buttons=data.get("buttons") or [], json_message=data.get("custom"),
            )
        return []
