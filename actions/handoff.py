"""Handing the conversation to a member of staff."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

HANDOFF_MESSAGE = "I'm passing you to a member of our team — someone will be with you shortly. They'll see our conversation so far."


class ActionHandoffToHuman(Action):
    """Pause the bot so staff can take over from the console."""

    def name(self) -> str:
        return "action_handoff_to_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Tell the customer someone is coming, then pause; staff resume the bot when they hand back."""
        dispatcher.utter_message(text=HANDOFF_MESSAGE, json_message={"type": "handoff", "status": "waiting"})
        return [ConversationPaused()]
