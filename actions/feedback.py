"""Customer reactions to products: thumbs up/down, "not this one", add to cart, "why this one?"."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.guard import customer_safe
from actions.products import FOCUS_SLOT, _resolve, ask_which
from actions.rendering import format_price, quick_reply
from actions.results import present_results
from actions.services import get_services


class ActionRecordFeedback(Action):
    """Take a thumbs up or down on a product and let it steer the next results."""

    def name(self) -> str:
        return "action_record_feedback"

    @customer_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """A rejected product leaves the results for the rest of the session; a liked one is acknowledged."""
        services = get_services()
        state, resolution = _resolve(tracker, services)
        if not resolution.products:
            return ask_which(dispatcher, resolution)
        product = resolution.products[0]
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == "feedback_negative":
            if product.id not in state.rejected:
                state.rejected.append(product.id)
            return [SlotSet(FOCUS_SLOT, None), *present_results(dispatcher, services, state, lead=f"Got it, I'll leave out {product.title}.")]
        dispatcher.utter_message(
            text=f"Glad you like {product.title}! I'll look for more in that direction.",
            buttons=[quick_reply("More like this", "/more_like_this"), quick_reply("Add to cart", "/add_to_cart")],
        )
        return [SlotSet(FOCUS_SLOT, product.id)]


class ActionAddToCart(Action):
    """Put the referenced product in the cart."""

    def name(self) -> str:
        return "action_add_to_cart"

    @customer_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Confirm the product added; ask which one when the reference is unclear."""
        services = get_services()
        _, resolution = _resolve(tracker, services)
        if not resolution.products:
            return ask_which(dispatcher, resolution)
        product = resolution.products[0]
        dispatcher.utter_message(
            text=f"Added {product.title} ({format_price(product)}) to your cart.",
            json_message={"type": "cart_added", "product_id": product.id, "title": product.title, "price": product.price},
        )
        return [SlotSet(FOCUS_SLOT, product.id)]


class ActionExplainChoice(Action):
    """Explain why a product was shown: which constraints it meets."""

    def name(self) -> str:
        return "action_explain_choice"

    @customer_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """List the active constraints the product satisfies and how it matched the request."""
        services = get_services()
        state, resolution = _resolve(tracker, services)
        if not resolution.products:
            return ask_which(dispatcher, resolution)
        product = resolution.products[0]
        constraints = state.constraints
        reasons = []
        for label, wanted, actual in (
            ("type", constraints.product_types, product.product_type), ("colour", constraints.colours, product.colour),
            ("for", constraints.genders, product.gender), ("brand", constraints.brands, product.brand),
            ("occasion", constraints.usages, product.usage), ("season", constraints.seasons, product.season),
        ):
            if wanted and actual in wanted:
                reasons.append(f"{label} {actual}")
        if product.price is not None and (constraints.price_min is not None or constraints.price_max is not None):
            reasons.append(f"price {format_price(product)} within your budget")
        matched = f"It matches {', '.join(reasons)}" if reasons else "It is the closest match to your description"
        dispatcher.utter_message(text=f"I showed {product.title} because: {matched}; it ranked high on similarity to \"{constraints.query_text()}\".")
        return [SlotSet(FOCUS_SLOT, product.id)]
