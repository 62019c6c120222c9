"""Finding products: a new search, refinements, more pages and the active constraints."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.catalog import catalog_buttons
from actions.constraints import Constraints
from actions.guard import customer_safe
from actions.refine import apply_entities, start_new_search
from actions.relax import change_price, remove_constraints
from actions.results import present_results, show_view
from actions.services import get_services
from actions.state import SearchState, customer_context, latest_entities, latest_intent, latest_text
from actions.unsold import Unsold, not_carried, not_carried_lead, unsold_request
from retrieval.attributes import PRODUCT_TYPE

NO_PRICES = "These products have no price in our catalog, so I can't look for cheaper ones."


def without_unsold(constraints: Constraints, unsold: Unsold) -> Constraints:
    """The constraints without the keyword of a kind the shop does not sell (the rest of the request is searched)."""
    kept = constraints.copy()
    kept.keywords = [k for k in kept.keywords if k != unsold.requested.lower()]
    return kept


class ActionSearchProducts(Action):
    """Start a new search from the customer's request."""

    def name(self) -> str:
        return "action_search_products"

    @customer_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Replace stale constraints with the new request and show the first page."""
        services = get_services()
        state = SearchState.from_tracker(tracker)
        entities = latest_entities(tracker)
        text = latest_text(tracker)
        constraints = start_new_search(state.constraints, entities, services.retriever.canonical_values, text)
        unsold = unsold_request(services, entities, text, constraints)
        if unsold is not None and not unsold.others:
            return not_carried(dispatcher, services, unsold)  # no cards, and the previous search stays as it was
        lead = ""
        if unsold is not None:
            constraints, lead = without_unsold(constraints, unsold), not_carried_lead(unsold)
        if constraints.is_empty() or (not entities and not constraints.values(PRODUCT_TYPE.name)):
            dispatcher.utter_message(text="Happy to help! What kind of product are you looking for?", buttons=catalog_buttons(services))
            state.constraints = constraints  # "a present for my wife": who it is for waits for the next message
            return [state.to_event()]
        return present_results(dispatcher, services, SearchState(constraints=constraints), customer_context(tracker), lead=lead)


class ActionRefineSearch(Action):
    """Add, replace, relax or exclude constraints, or move the price, then search again."""

    def name(self) -> str:
        return "action_refine_search"

    @customer_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Update the constraints according to the intent and show the new first page."""
        services = get_services()
        state = SearchState.from_tracker(tracker)
        intent = latest_intent(tracker)
        entities = latest_entities(tracker)
        lead = ""
        if intent == "remove_constraint":
            removal = remove_constraints(state.constraints, entities, services.retriever.canonical_values, latest_text(tracker))
            if removal.started_over:
                dispatcher.utter_message(text="OK, let's start over. What are you looking for?", buttons=catalog_buttons(services))
                return [SearchState().to_event()]
            state.constraints = removal.constraints
            lead = f"OK, I removed {', '.join(removal.removed)}." if removal.removed else "I'm not sure which constraint to drop, so I kept them all."
        elif intent == "change_price":
            on_screen = services.retriever.get_many(state.shown)
            shown = [p.price for p in on_screen if p.price is not None]
            before = (state.constraints.price_min, state.constraints.price_max)
            state.constraints = change_price(state.constraints, entities, shown, latest_text(tracker))
            if before == (state.constraints.price_min, state.constraints.price_max):
                # A budget cannot help when the products on screen have no price (a catalog without prices).
                lead = NO_PRICES if on_screen and not shown else "Tell me a budget, e.g. \"under 50\" or \"between 20 and 40\"."
        else:
            refined = apply_entities(state.constraints, entities, services.retriever.canonical_values, text=latest_text(tracker))
            unsold = unsold_request(services, entities, latest_text(tracker), refined, read_words=False)
            if unsold is not None and not unsold.others:
                return not_carried(dispatcher, services, unsold)  # the search on screen stays as it was
            if unsold is not None:
                refined, lead = without_unsold(refined, unsold), not_carried_lead(unsold)
            state.constraints = refined
        if not state.searched and state.constraints.is_empty():
            dispatcher.utter_message(text="What kind of product are you looking for?", buttons=catalog_buttons(services))
            return [state.to_event()]
        state.page = 0
        return present_results(dispatcher, services, state, customer_context(tracker), lead=lead)


class ActionShowMore(Action):
    """Show the next page of the current search."""

    def name(self) -> str:
        return "action_show_more"

    @customer_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Advance one page; without a search yet, ask what to look for."""
        state = SearchState.from_tracker(tracker)
        services = get_services()
        if not state.searched:
            dispatcher.utter_message(text="Let's start a search first: what are you looking for?", buttons=catalog_buttons(services))
            return []
        state.page += 1
        return show_view(dispatcher, services, state, customer_context(tracker))


class ActionShowConstraints(Action):
    """Tell the customer which constraints are active."""

    def name(self) -> str:
        return "action_show_constraints"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Summarise the search state in one sentence."""
        state = SearchState.from_tracker(tracker)
        if not state.searched:
            dispatcher.utter_message(text="You haven't set any constraints yet. What are you looking for?")
        else:
            dispatcher.utter_message(text=f"Current search: {state.constraints.describe(get_services().retriever.currency)}. Say e.g. \"any colour\" or \"forget the brand\" to relax it.")
        return []
