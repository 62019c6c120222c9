"""Customer reactions to products: thumbs up/down, "not this one", add to cart, "why this one?".

Every reaction is stored (``retrieval.feedback``) and re-ranks the next results of this
conversation and, with a decay, of the customer's later sessions (``retrieval.personalise``).
Reactions and cart rows are keyed by the customer's message id, so a turn that runs twice stores
them once (``OncePerMessage``).
"""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.constraints import listing
from actions.products import FOCUS_SLOT, ReferringAction, record_reaction
from actions.rendering import format_price, quick_reply
from actions.results import show_view
from actions.services import Services
from actions.state import SearchState, customer_context, latest_intent, latest_text
from retrieval import Product
from retrieval.attributes import categorical
from retrieval.feedback import Reaction, reactions_of
from retrieval.rerank import learned_attributes, preference_weight
from shop.messages import MESSAGE_ID

NEGATIVES_BEFORE_OFFER = 3


def message_id(tracker: Tracker) -> str | None:
    """The customer's id of the message this turn answers (from the web app, in the message metadata)."""
    value = (tracker.latest_message.get("metadata") or {}).get(MESSAGE_ID)
    return str(value) if value else None


class OncePerMessage(ReferringAction):
    """The reactions the action records belong to the customer's message: stored once however often the turn runs."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """``ReferringAction.run`` with the message's id set for the feedback store."""
        with reactions_of(message_id(tracker)):
            return await super().run(dispatcher, tracker, domain)


class ActionRecordFeedback(OncePerMessage):
    """Take a thumbs up or down on a product and let it steer the next results."""

    def name(self) -> str:
        return "action_record_feedback"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, services: Services, state: SearchState,
            product: Product) -> list[EventType]:
        """Store the reaction; a turned-down product leaves the results, which are shown again re-ranked."""
        return self._react(dispatcher, tracker, services, state, [product])

    def act_on_each(self, dispatcher: CollectingDispatcher, tracker: Tracker, services: Services, state: SearchState,
                    products: list[Product]) -> list[EventType]:
        """A like or dislike of several products at once ("the checked ones") is a reaction to each of them."""
        return self._react(dispatcher, tracker, services, state, products)

    def _react(self, dispatcher: CollectingDispatcher, tracker: Tracker, services: Services, state: SearchState,
               products: list[Product]) -> list[EventType]:
        titles = listing([p.title for p in products])
        if latest_intent(tracker) == "feedback_negative":
            # A card's thumbs-down button sends a payload; typed words ("not this one") reject outright.
            kind = Reaction.DISLIKE if latest_text(tracker).startswith("/") else Reaction.REJECT
            for product in products:
                record_reaction(tracker, services, kind, product.id, state)
            if not state.searched:
                dispatcher.utter_message(text=f"Noted, I'll show fewer products like {titles}.")
                return [SlotSet(FOCUS_SLOT, None)]
            context = customer_context(tracker)
            # Refresh the list the customer reacted on (a search page, similar products, other colours).
            events = show_view(dispatcher, services, state, context, lead=f"Got it, I'll leave out {titles}.")
            if self._keeps_missing(services, context.customer_id, context.conversation_id, added=len(products)):
                dispatcher.utter_message(
                    text="I'm not finding what you want yet. Would you like help from a member of our team?",
                    buttons=[quick_reply("Talk to a person", "/request_human")],
                )
            return [SlotSet(FOCUS_SLOT, None), *events]
        for product in products:
            record_reaction(tracker, services, Reaction.LIKE, product.id, state)
        if len(products) > 1:
            dispatcher.utter_message(text=f"Glad you like {titles}! I'll look for more in that direction.")
            return [SlotSet(FOCUS_SLOT, None)]
        product = products[0]
        dispatcher.utter_message(
            text=f"Glad you like {product.title}! I'll look for more in that direction.",
            buttons=[quick_reply("More like this", f'/more_like_this{{"product_id": "{product.id}"}}'), quick_reply("Add to cart", f'/add_to_cart{{"product_id": "{product.id}"}}')],
        )
        return [SlotSet(FOCUS_SLOT, product.id)]

    @staticmethod
    def _keeps_missing(services: Services, customer_id: str, conversation_id: str, *, added: int = 1) -> bool:
        """Offer a person each time a conversation without a like passes another third turned-down product.

        ``added``: how many products this turn turned down ("not the printed ones" may be several).
        """
        reactions = [r for r in services.personalised.store.history(customer_id=customer_id) if r.conversation_id == conversation_id]
        if any(r.kind.weight > 0.5 for r in reactions):
            return False
        negatives = sum(1 for r in reactions if r.kind.hides_product)
        return negatives > 0 and negatives // NEGATIVES_BEFORE_OFFER > (negatives - added) // NEGATIVES_BEFORE_OFFER


class ActionAddToCart(OncePerMessage):
    """Put the referenced product in the cart."""

    def name(self) -> str:
        return "action_add_to_cart"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, services: Services, state: SearchState,
            product: Product) -> list[EventType]:
        """Confirm the product added (a strong positive reaction); ask which one when unclear."""
        record_reaction(tracker, services, Reaction.ADD_TO_CART, product.id, state)
        dispatcher.utter_message(
            text=f"Added {product.title} ({format_price(product)}) to your cart.",
            json_message={"type": "cart_added", "product_id": product.id, "title": product.title, "price": product.price},
        )
        return [SlotSet(FOCUS_SLOT, product.id)]


class ActionExplainChoice(ReferringAction):
    """Explain why a product was shown: the constraints it meets and the reactions that lifted it."""

    def name(self) -> str:
        return "action_explain_choice"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, services: Services, state: SearchState,
            product: Product) -> list[EventType]:
        """List matched constraints, then learned preferences that apply to this product."""
        constraints = state.constraints
        matched = [f"{spec.label} {value}" for spec in categorical() for value in spec.values_of(product)
                   if value in constraints.values(spec.name)]
        if product.price is not None and (constraints.price_min is not None or constraints.price_max is not None):
            matched.append(f"price {format_price(product)} within your budget")
        parts = [f"it matches {', '.join(matched)}" if matched else f"it is close to \"{constraints.query_text() or product.title}\""]
        profile = services.personalised.profile(customer_context(tracker))
        learned = []
        for spec in learned_attributes():
            value, weight = preference_weight(profile, spec, product)
            if weight >= 0.5:
                learned.append(f"you reacted well to {spec.label} {value}")
            elif weight <= -0.5:
                learned.append(f"it ranked lower because you turned down {spec.label} {value}")
        embedding = services.retriever.embedding(product.id)
        if embedding is not None and profile.liked_vector is not None and float(embedding @ profile.liked_vector) > 0.6:
            learned.append("it is similar to products you liked")
        dispatcher.utter_message(text=f"I showed {product.title} because {'; '.join(parts + learned)}.")
        return [SlotSet(FOCUS_SLOT, product.id)]
