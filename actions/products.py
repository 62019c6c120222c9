"""Talking about products on screen: select one, ask details, compare two, find similar ones."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.guard import customer_safe
from actions.references import Resolution, resolve
from actions.rendering import format_price, quick_reply, send_products
from actions.results import to_filters
from actions.services import Services, get_services
from actions.state import SearchState, customer_context, latest_entities, latest_text
from retrieval import Filters, Product
from retrieval.feedback import Reaction

FOCUS_SLOT = "focused_product"


def _context(tracker: Tracker, services: Services) -> tuple[SearchState, list[Product], Product | None]:
    state = SearchState.from_tracker(tracker)
    shown = services.retriever.get_many(state.shown)
    focused_id = tracker.get_slot(FOCUS_SLOT)
    focused = services.retriever.get(str(focused_id)) if focused_id else None
    return state, shown, focused


def _resolve(tracker: Tracker, services: Services, wanted: int = 1) -> tuple[SearchState, Resolution]:
    state, shown, focused = _context(tracker, services)
    entities = latest_entities(tracker)
    # Card buttons name products by id; they may have scrolled off the current page.
    named = [str(e.get("value")) for e in entities if e.get("entity") == "product_id"]
    known = {p.id for p in shown}
    shown = shown + services.retriever.get_many([pid for pid in named if pid not in known])
    page_start = state.page * services.settings.page_size + 1
    return state, resolve(shown, focused, entities, latest_text(tracker), page_start=page_start, wanted=wanted)


def record_reaction(tracker: Tracker, services: Services, kind: Reaction, product_id: str, state: SearchState) -> None:
    """Store a reaction with the search it happened in (explicit or implicit)."""
    services.personalised.record(
        customer_context(tracker), kind, product_id,
        query=state.constraints.query_text(), constraints=state.constraints.to_dict(),
    )


def ask_which(dispatcher: CollectingDispatcher, resolution: Resolution) -> list[EventType]:
    """A clarifying question when a reference matches several products (or none is on screen)."""
    if not resolution.ambiguous:
        dispatcher.utter_message(text="Which product do you mean? Search for something first and then say e.g. \"the second one\".")
        return []
    options = [quick_reply(f"#{i + 1} {p.title[:40]}", f'/select_item{{"ordinal": "{i + 1}"}}') for i, p in enumerate(resolution.ambiguous[:5])]
    dispatcher.utter_message(text="Which one do you mean?", buttons=options)
    return []


def describe_product(product: Product) -> str:
    facts = [f"{product.title} — {format_price(product)}."]
    details = [
        ("Brand", product.brand), ("Type", product.product_type), ("Colour", product.colour), ("For", product.gender),
        ("Occasion", product.usage), ("Season", product.season), ("Sizes", ", ".join(product.sizes)),
    ]
    facts += [f"{label}: {value}." for label, value in details if value]
    return " ".join(facts)


class ActionSelectProduct(Action):
    """Focus on the product the customer points at ("the second one")."""

    def name(self) -> str:
        return "action_select_product"

    @customer_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Resolve the reference and show that product's details."""
        services = get_services()
        state, resolution = _resolve(tracker, services)
        if not resolution.products:
            return ask_which(dispatcher, resolution)
        product = resolution.products[0]
        record_reaction(tracker, services, Reaction.SELECT, product.id, state)
        dispatcher.utter_message(
            text=describe_product(product),
            buttons=[
                quick_reply("Add to cart", f'/add_to_cart{{"product_id": "{product.id}"}}'),
                quick_reply("More like this", f'/more_like_this{{"product_id": "{product.id}"}}'),
                quick_reply("Other colours", f'/ask_details{{"attribute": "colours", "product_id": "{product.id}"}}'),
            ],
        )
        return [SlotSet(FOCUS_SLOT, product.id)]


class ActionProductDetails(Action):
    """Answer a question about a product from the catalog ("what sizes?", "other colours?")."""

    def name(self) -> str:
        return "action_product_details"

    @customer_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Answer the asked attribute, or give the full description."""
        services = get_services()
        state, resolution = _resolve(tracker, services)
        if not resolution.products:
            return ask_which(dispatcher, resolution)
        product = resolution.products[0]
        record_reaction(tracker, services, Reaction.DETAILS, product.id, state)
        attribute = " ".join(str(e.get("value")) for e in latest_entities(tracker) if e.get("entity") == "attribute").lower()
        text = f"{attribute} {latest_text(tracker).lower()}"
        if "colour" in text or "color" in text:
            self._other_colours(dispatcher, services, product)
        elif "size" in text:
            sizes = ", ".join(product.sizes)
            dispatcher.utter_message(text=f"{product.title} comes in sizes {sizes}." if sizes else f"The catalog lists no sizes for {product.title}.")
        elif "price" in text or "cost" in text or "much" in text:
            dispatcher.utter_message(text=f"{product.title} costs {format_price(product)}.")
        elif "brand" in text or "who makes" in text:
            dispatcher.utter_message(text=f"{product.title} is by {product.brand}." if product.brand else "The catalog doesn't name the brand of this one.")
        elif any(word in text for word in ("material", "made of", "fabric", "cotton", "leather")):
            known = product.attributes.get("material") if product.attributes else None
            dispatcher.utter_message(
                text=f"{product.title} is made of {known}." if known else f"The catalog doesn't list the material of {product.title}. What I know: {describe_product(product)}"
            )
        else:
            dispatcher.utter_message(text=describe_product(product))
        return [SlotSet(FOCUS_SLOT, product.id)]

    @staticmethod
    def _other_colours(dispatcher: CollectingDispatcher, services: Services, product: Product) -> None:
        filters = Filters(
            product_types=[product.product_type] if product.product_type else [],
            genders=[product.gender] if product.gender else [],
            brands=[product.brand] if product.brand else [],
            exclude_colours=[product.colour] if product.colour else [],
        )
        hits = services.retriever.search(product.title, filters=filters, top_k=5)
        if not hits:
            dispatcher.utter_message(text=f"I don't have {product.title} in other colours.")
            return
        colours = sorted({h.product.colour for h in hits if h.product.colour})
        send_products(dispatcher, f"Similar {product.brand or ''} {product.product_type or 'items'} in {', '.join(colours)}:".replace("  ", " "), hits)


class ActionCompareProducts(Action):
    """Compare two products on screen side by side."""

    def name(self) -> str:
        return "action_compare_products"

    @customer_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Resolve two products (two references, or one plus the focused one) and compare them."""
        services = get_services()
        state, resolution = _resolve(tracker, services, wanted=2)
        products = list(resolution.products)
        if len(products) < 2:
            focused_id = tracker.get_slot(FOCUS_SLOT)
            shown = services.retriever.get_many(state.shown)
            pool = ([services.retriever.get(str(focused_id))] if focused_id else []) + shown
            for candidate in pool:
                if candidate is not None and candidate not in products:
                    products.append(candidate)
                if len(products) == 2:
                    break
        if len(products) < 2:
            dispatcher.utter_message(text="Which two should I compare? Say e.g. \"compare the first and the third\".")
            return []
        first, second = products[:2]
        dispatcher.utter_message(text=comparison_text(first, second), json_message=comparison_payload(first, second))
        return []


def comparison_rows(first: Product, second: Product) -> list[tuple[str, str, str]]:
    rows = [
        ("Price", format_price(first), format_price(second)),
        ("Brand", first.brand or "—", second.brand or "—"),
        ("Type", first.product_type or "—", second.product_type or "—"),
        ("Colour", first.colour or "—", second.colour or "—"),
        ("For", first.gender or "—", second.gender or "—"),
        ("Occasion", first.usage or "—", second.usage or "—"),
        ("Sizes", ", ".join(first.sizes) or "—", ", ".join(second.sizes) or "—"),
    ]
    return rows


def comparison_text(first: Product, second: Product) -> str:
    lines = [f"Comparing A) {first.title} and B) {second.title}:"]
    lines += [f"- {label}: A {a} | B {b}" for label, a, b in comparison_rows(first, second) if a != b]
    same = [label.lower() for label, a, b in comparison_rows(first, second) if a == b and a != "—"]
    if same:
        lines.append(f"Same {', '.join(same)}.")
    if first.price is not None and second.price is not None and first.price != second.price:
        cheaper = first if first.price < second.price else second
        lines.append(f"{cheaper.title} is cheaper by ${abs(first.price - second.price):.2f}.")
    return "\n".join(lines)


def comparison_payload(first: Product, second: Product) -> dict[str, Any]:
    return {"type": "comparison", "products": [first.id, second.id], "titles": [first.title, second.title],
            "rows": [list(row) for row in comparison_rows(first, second)]}


class ActionMoreLikeThis(Action):
    """Show products similar to the one the customer points at."""

    def name(self) -> str:
        return "action_more_like_this"

    @customer_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Nearest neighbours of the referenced product, within the customer's constraints."""
        services = get_services()
        state, resolution = _resolve(tracker, services)
        if not resolution.products:
            return ask_which(dispatcher, resolution)
        anchor = resolution.products[0]
        record_reaction(tracker, services, Reaction.MORE_LIKE_THIS, anchor.id, state)
        filters = to_filters(state.constraints, [anchor.id])
        filters.product_types = [anchor.product_type] if anchor.product_type else filters.product_types
        hits = services.retriever.similar(anchor.id, filters=filters, top_k=services.settings.page_size)
        if not hits:
            dispatcher.utter_message(text=f"I couldn't find anything close to {anchor.title} within your constraints.")
            return [SlotSet(FOCUS_SLOT, anchor.id)]
        send_products(dispatcher, f"More like {anchor.title}:", hits)
        state.shown = [hit.product.id for hit in hits]
        state.page = 0
        return [SlotSet(FOCUS_SLOT, anchor.id), state.to_event()]
