"""The first stage of the two-stage fallback: "Did you mean ...?" in the customer's words."""

from __future__ import annotations

import json

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.rendering import quick_reply

INTENT_DESCRIPTIONS = {
    "search_product": "search for a product", "add_constraint": "narrow down the results",
    "remove_constraint": "remove a filter", "change_price": "change the price range",
    "select_item": "pick one of the products", "ask_details": "know more about a product",
    "compare": "compare products", "more_like_this": "see similar products", "show_more": "see more results",
    "show_constraints": "see your current filters", "explain_choice": "know why a product was shown",
    "feedback_positive": "say you like a product", "feedback_negative": "say you don't like a product",
    "add_to_cart": "add a product to your cart", "request_human": "talk to a person",
    "greet": "say hello", "goodbye": "end the conversation", "thank": "say thanks",
}


class ActionDefaultAskAffirmation(Action):
    """Ask whether the most likely intent is what the customer meant."""

    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Offer the best guess (excluding the fallback itself) with a way out."""
        ranking = [r for r in tracker.latest_message.get("intent_ranking") or [] if r.get("name") not in ("nlu_fallback", None)]
        guess = ranking[0]["name"] if ranking else None
        if guess not in INTENT_DESCRIPTIONS:
            dispatcher.utter_message(response="utter_ask_rephrase")
            return []
        # The "yes" payload replays the guessed intent with the entities already understood.
        entities = {e["entity"]: e["value"] for e in tracker.latest_message.get("entities") or [] if e.get("entity") and e.get("role") is None}
        payload = f"/{guess}{json.dumps(entities)}" if entities else f"/{guess}"
        dispatcher.utter_message(
            text=f"Sorry, did you want to {INTENT_DESCRIPTIONS[guess]}?",
            buttons=[quick_reply("Yes", payload), quick_reply("No, something else", "/out_of_scope")],
        )
        return []


class ActionDefaultFallback(Action):
    """The last stage of the fallback: apologise and, after repeated misunderstandings, offer a person."""

    def name(self) -> str:
        return "action_default_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Say what the bot can do; from the second failure in a session on, offer a human."""
        failures = sum(1 for event in tracker.events if event.get("event") == "action" and event.get("name") == "action_default_fallback")
        buttons = [quick_reply("Talk to a person", "/request_human")] if failures >= 1 else []
        dispatcher.utter_message(response="utter_default", buttons=buttons)
        return [UserUtteranceReverted()]
