"""The greeting, with suggestions drawn from the loaded catalog.

Why an action and not a fixed response: a shop that sells furniture must not greet with "running
shoes for men". The examples come from ``retrieval.presentation.example_requests`` (the catalog's
most common kinds, each with a colour, person or budget it really has), so every suggested button
finds products; the store page shows the same examples.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.catalog import greeting_examples, search_payload
from actions.guard import customer_safe
from actions.rendering import quick_reply
from actions.services import ServiceUnavailableError, get_services
from retrieval.presentation import ExampleRequest

GREETING = "Hi! I'm your shopping assistant. Tell me what you're looking for"
FALLBACK_GREETING = f"{GREETING}: a kind of product, a colour, who it's for or a budget."


def greeting(examples: tuple[ExampleRequest, ...]) -> tuple[str, list[dict[str, str]]]:
    """The greeting text and one quick reply per example."""
    if not examples:
        return FALLBACK_GREETING, []
    buttons = [quick_reply(example.text[:1].upper() + example.text[1:], search_payload(example.entities)) for example in examples]
    return f"{GREETING}, e.g. “{examples[0].text}”.", buttons


class ActionGreet(Action):
    """Say hello and offer searches this shop can answer."""

    def name(self) -> str:
        return "action_greet"

    @customer_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Greet with the catalog's examples; with the product store down, greet without them rather than fail."""
        try:
            examples = greeting_examples(get_services().retriever)
        except ServiceUnavailableError:
            examples = ()
        text, buttons = greeting(examples)
        dispatcher.utter_message(text=text, buttons=buttons)
        return []
