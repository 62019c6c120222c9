"""Showing a list of products and keeping the state in step with what is on the customer's screen.

Three kinds of list ("views"): a search page for the constraints (relaxing them when nothing
matches, but never what the customer has just asked for: the nearest kinds of product that meet
it are offered instead), products similar to one, and another product's other colours. Every
action that shows, pages or refreshes a list comes through here, so the ids on screen, their first
card number and the view they belong to are always what the customer sees: "the second one" after
"more like this" means the second similar product, and a thumbs-down there refreshes the similar
products, not the old search.
"""

from __future__ import annotations

import logging

from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.alternatives import nearest_kinds
from actions.constraints import Constraints
from actions.relax import newest, relax_once
from actions.rendering import RESULT_QUICK_REPLIES, send_products
from actions.services import Services
from actions.state import SearchState
from retrieval import Filters, Hit, Product
from retrieval.attributes import PRODUCT_TYPE, attribute
from retrieval.personalise import CustomerContext

logger = logging.getLogger(__name__)
MAX_RELAXATIONS = 4
END_OF_RESULTS = "That's everything I have for this search. Try changing a constraint, e.g. another colour or a higher budget."
NO_LONGER_AVAILABLE = "Sorry, that product is no longer available."
NOTHING_FOUND = "I couldn't find anything matching that, even after loosening the search. Could you describe it differently?"
COLOUR = attribute("colour")
SAME_PRODUCT_LINE = tuple(attribute(name) for name in ("product_type", "gender", "brand"))


def search_page(services: Services, state: SearchState, context: CustomerContext) -> list[Hit]:
    """One page of results for the state's constraints and page number, personalised."""
    size = services.settings.page_size
    return services.personalised.search(
        state.constraints.query_text() or "popular products", state.constraints.to_filters(),
        context=context, top_k=size, offset=state.page * size,
    )


def similar_filters(state: SearchState, anchor: Product) -> Filters:
    """The customer's constraints, with the anchor's own kind of product."""
    filters = state.constraints.to_filters()
    kinds = list(PRODUCT_TYPE.values_of(anchor))  # a product listed under several types is like products of any of them
    if kinds:
        filters.include[PRODUCT_TYPE.name] = kinds
    return filters


def colour_filters(anchor: Product, *, same_brand: bool = True) -> Filters:
    """Same kind and target group as the anchor (and brand, first), in any colour but its own."""
    line = [spec for spec in SAME_PRODUCT_LINE if same_brand or spec.name != "brand"]
    include = {spec.name: list(spec.values_of(anchor)) for spec in line if spec.values_of(anchor)}
    exclude = {COLOUR.name: list(COLOUR.values_of(anchor))} if COLOUR.values_of(anchor) else {}
    return Filters(include=include, exclude=exclude)


def view_page(services: Services, state: SearchState, context: CustomerContext, anchor: Product | None) -> list[Hit]:
    """The products of the state's view at its page."""
    size = services.settings.page_size
    if state.view == "similar" and anchor is not None:
        return services.personalised.similar(anchor.id, similar_filters(state, anchor), context=context, top_k=size, offset=state.page * size)
    if state.view == "colours" and anchor is not None:
        same_brand = services.personalised.search(anchor.title, colour_filters(anchor), context=context, top_k=size, offset=state.page * size)
        if same_brand or state.page > 0:
            return same_brand
        return services.personalised.search(anchor.title, colour_filters(anchor, same_brand=False), context=context, top_k=size)
    return search_page(services, state, context)


def view_intro(state: SearchState, anchor: Product | None, hits: list[Hit], first: int, currency: str | None = None) -> str:
    last = first + len(hits) - 1
    if state.view == "similar" and anchor is not None:
        return f"More like {anchor.title}:" if state.page == 0 else f"More like {anchor.title} ({first}–{last}):"
    if state.view == "colours" and anchor is not None:
        colours = ", ".join(sorted({v for h in hits for v in COLOUR.values_of(h.product)}))
        if all(h.product.brand == anchor.brand for h in hits):
            kind = " ".join(v for v in (anchor.brand, anchor.product_type) if v) or "items"
            return f"Similar {kind} in {colours}:"
        return f"I don't have {anchor.title} in other colours; here are similar {anchor.product_type or 'items'} in {colours}:"
    label = "Here are" if state.page == 0 else "Here are more"
    summary = state.constraints.describe(currency)
    return f"{label} results {first}–{last} {'' if summary.startswith('for ') else 'for '}{summary}."


def show_view(dispatcher: CollectingDispatcher, services: Services, state: SearchState, context: CustomerContext,
              *, lead: str = "") -> list[EventType]:
    """Show the state's view at its page; a search view relaxes constraints when nothing matches."""
    if state.view == "search":
        return present_results(dispatcher, services, state, context, lead=lead)
    anchor = services.retriever.get(state.anchor) if state.anchor else None
    if anchor is None:  # the product these are like (or other colours of) left the catalog: the cards on screen stay referable
        dispatcher.utter_message(text=" ".join(filter(None, [lead, NO_LONGER_AVAILABLE])))
        return []
    hits = view_page(services, state, context, anchor)
    if not hits:
        if state.page > 0:
            state.page -= 1
            dispatcher.utter_message(text=" ".join(filter(None, [lead, "That's all the similar products I have."])))
        else:
            dispatcher.utter_message(text=" ".join(filter(None, [lead, f"I couldn't find anything else close to {anchor.title}."])))
        return [state.to_event()]
    first = state.page * services.settings.page_size + 1
    intro = " ".join(filter(None, [lead, view_intro(state, anchor, hits, first, services.retriever.currency)]))
    send_products(dispatcher, intro, hits, first_position=first, constraints_text=state.constraints.describe(services.retriever.currency),
                  quick_replies=RESULT_QUICK_REPLIES)
    state.show([h.product.id for h in hits], view=state.view, first_position=first, anchor=state.anchor)
    return [state.to_event()]


def present_results(
    dispatcher: CollectingDispatcher, services: Services, state: SearchState, context: CustomerContext, *, lead: str = ""
) -> list[EventType]:
    """Search, relax older constraints while nothing matches, and show the page.

    What the customer's latest refinement asked for is never dropped: when it cannot be met even
    without everything older, they hear so and see the nearest kinds of product that meet it.
    When a later page is empty the cards already on screen stay referable: the state keeps them.
    """
    state.view, state.anchor = "search", None
    hits = search_page(services, state, context)
    dropped: list[str] = []
    keep = newest(state.constraints)
    asked = state.constraints.copy()
    while not hits and state.page == 0 and len(dropped) < MAX_RELAXATIONS:
        relaxed, what = relax_once(state.constraints, keep=keep, currency=services.retriever.currency)
        if what is None:
            break
        state.constraints = relaxed
        dropped.append(what)
        hits = search_page(services, state, context)
    if not hits and state.page == 0 and keep:
        return offer_alternatives(dispatcher, services, state, context, asked, keep, lead=lead)

    state.searched = True
    if not hits:
        if state.page > 0:
            state.page -= 1
            dispatcher.utter_message(text=" ".join(filter(None, [lead, END_OF_RESULTS])))
        else:
            dispatcher.utter_message(text=" ".join(filter(None, [lead, NOTHING_FOUND])))
            state.show([], view="search")
        return [state.to_event()]

    size = services.settings.page_size
    first = state.page * size + 1
    parts = [lead] if lead else []
    if dropped:
        parts.append(f"Nothing matched everything, so I dropped {' and then '.join(dropped)}.")
    parts.append(view_intro(state, None, hits, first, services.retriever.currency))
    summary = state.constraints.describe(services.retriever.currency)
    send_products(dispatcher, " ".join(parts), hits, first_position=first, constraints_text=summary, quick_replies=RESULT_QUICK_REPLIES)
    state.show([hit.product.id for hit in hits], view="search", first_position=first)
    return [state.to_event()]


def offer_alternatives(dispatcher: CollectingDispatcher, services: Services, state: SearchState, context: CustomerContext,
                       asked: Constraints, keep: list[str], *, lead: str = "") -> list[EventType]:
    """Say that the newest constraint cannot be met with the kind asked for, and show the nearest kinds that meet it.

    The other constraints stay while some kind of product meets them all; older ones go (least
    important first, and said) only when nothing does. Without any such kind the customer is told
    so, and the constraint stays for them to change.
    """
    wanted = asked.phrase(only=keep, currency=services.retriever.currency)
    base, hits = asked, []
    dropped: list[str] = []
    while True:
        kinds = nearest_kinds(services.retriever, base)
        if kinds:
            state.constraints = base.copy()
            state.constraints.wanted[PRODUCT_TYPE.name] = kinds
            hits = search_page(services, state, context)
            if hits:
                break
        if len(dropped) >= MAX_RELAXATIONS:
            break
        base, what = relax_once(base, keep=keep, currency=services.retriever.currency)
        if what is None:
            break
        dropped.append(what)
    state.searched = True
    if not hits:
        state.constraints = asked
        nouns = [attribute(name).noun for name in keep]
        advice = f"Try another {' or '.join(nouns)}, or say e.g. \"any {nouns[0]}\"."
        dispatcher.utter_message(text=" ".join(filter(None, [lead, f"I have no {wanted} here.", advice])))
        state.show([], view="search")
        return [state.to_event()]
    parts = [lead, f"No {wanted} here; here are {state.constraints.phrase(currency=services.retriever.currency)} instead."]
    if dropped:
        parts.append(f"To find them I also dropped {' and then '.join(dropped)}.")
    send_products(dispatcher, " ".join(filter(None, parts)), hits, constraints_text=state.constraints.describe(services.retriever.currency),
                  quick_replies=RESULT_QUICK_REPLIES)
    state.show([hit.product.id for hit in hits], view="search")
    return [state.to_event()]
