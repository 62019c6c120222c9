"""Running a search for the current state and presenting the page, relaxing constraints if needed.

Shared by every action that shows products (new search, refinements, more pages, "more like this").
"""

from __future__ import annotations

import logging

from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.constraints import Constraints, relax_once
from actions.rendering import RESULT_QUICK_REPLIES, send_products
from actions.services import Services
from actions.state import SearchState
from retrieval import Filters, Hit
from retrieval.personalise import CustomerContext

logger = logging.getLogger(__name__)
MAX_RELAXATIONS = 4


def to_filters(constraints: Constraints, excluded_ids: list[str] | None = None) -> Filters:
    """The hard filters the retriever applies (materials and keywords only steer the ranking)."""
    return Filters(
        product_types=list(constraints.product_types),
        colours=list(constraints.colours),
        genders=list(constraints.genders),
        brands=list(constraints.brands),
        sizes=list(constraints.sizes),
        usages=list(constraints.usages),
        seasons=list(constraints.seasons),
        price_min=constraints.price_min,
        price_max=constraints.price_max,
        exclude_colours=list(constraints.exclude_colours),
        exclude_brands=list(constraints.exclude_brands),
        exclude_product_types=list(constraints.exclude_product_types),
        exclude_ids=list(excluded_ids or []),
    )


def search_page(services: Services, state: SearchState, context: CustomerContext) -> list[Hit]:
    """One page of results for the state's constraints and page number, personalised."""
    size = services.settings.page_size
    return services.personalised.search(
        state.constraints.query_text() or "popular products",
        to_filters(state.constraints),
        context=context,
        top_k=size,
        offset=state.page * size,
    )


def present_results(
    dispatcher: CollectingDispatcher, services: Services, state: SearchState, context: CustomerContext, *, lead: str = ""
) -> list[EventType]:
    """Search, relax the least important constraint while nothing matches, and show the page."""
    hits = search_page(services, state, context)
    dropped: list[str] = []
    while not hits and state.page == 0 and len(dropped) < MAX_RELAXATIONS:
        relaxed, what = relax_once(state.constraints)
        if what is None:
            break
        state.constraints = relaxed
        dropped.append(what)
        hits = search_page(services, state, context)

    state.searched = True
    if not hits:
        if state.page > 0:
            dispatcher.utter_message(text="That's everything I have for this search. Try changing a constraint, e.g. another colour or a higher budget.")
        else:
            dispatcher.utter_message(text="I couldn't find anything matching that, even after loosening the search. Could you describe it differently?")
        state.shown = []
        return [state.to_event()]

    size = services.settings.page_size
    first = state.page * size + 1
    summary = state.constraints.describe()
    parts = [lead] if lead else []
    if dropped:
        parts.append(f"Nothing matched everything, so I dropped {' and then '.join(dropped)}.")
    label = "Here are" if state.page == 0 else "Here are more"
    parts.append(f"{label} results {first}–{first + len(hits) - 1} for {summary}.")
    send_products(dispatcher, " ".join(parts), hits, first_position=first, constraints_text=summary, quick_replies=RESULT_QUICK_REPLIES)
    state.shown = [hit.product.id for hit in hits]
    return [state.to_event()]
