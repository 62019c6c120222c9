"""Talking about products on screen: select one, ask details, compare two, find similar ones."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.guard import customer_safe
from actions.references import SEVERAL_FIT, Resolution, resolve
from actions.rendering import format_price, quick_reply
from actions.results import NO_LONGER_AVAILABLE, show_view
from actions.services import Services, get_services
from actions.state import SearchState, customer_context, latest_entities, latest_intent, latest_text
from retrieval import Product
from retrieval.attributes import PRICE, REGISTRY
from retrieval.feedback import Reaction
from retrieval.presentation import money

FOCUS_SLOT = "focused_product"
DETAIL_ATTRIBUTES = tuple(spec for spec in REGISTRY if spec.field and spec is not PRICE)
MAX_CHOICES = 5
NOTHING_ON_SCREEN = "Which product do you mean? Search for something first and then say e.g. \"the second one\"."


def gone(product_id: str) -> Product:
    """Stand-in for a product on the customer's screen that has left the catalog since: it keeps its place."""
    return Product(id=product_id, title="(no longer available)")


def _focused(tracker: Tracker, services: Services) -> Product | None:
    """The product in focus; a stand-in when it has left the catalog, so "add it to my cart" says so instead of guessing."""
    focused_id = tracker.get_slot(FOCUS_SLOT)
    if not isinstance(focused_id, (str, int)) or focused_id == "":
        return None
    return services.retriever.get(str(focused_id)) or gone(str(focused_id))


def resolve_reference(tracker: Tracker, services: Services, wanted: int = 1) -> tuple[SearchState, Resolution]:
    """The conversation's state and the products the latest message refers to.

    Cards of products that have since left the catalog keep their place on screen, so positions
    still count as the customer sees them; referring to one answers that it is no longer available.
    """
    state = SearchState.from_tracker(tracker)
    entities = latest_entities(tracker)
    # Card buttons name products by id; they may have scrolled off the current page.
    named_ids = [str(e.get("value")) for e in entities if e.get("entity") == "product_id"]
    if named_ids:
        named = services.retriever.get_many(list(dict.fromkeys(named_ids)))
        return state, Resolution(products=named) if len(named) == len(set(named_ids)) else Resolution(problem=NO_LONGER_AVAILABLE)
    shown = [services.retriever.get(pid) or gone(pid) for pid in state.shown]
    resolution = resolve(shown, _focused(tracker, services), entities, latest_text(tracker),
                         first_position=state.first_position, wanted=wanted)
    if resolution.plural:  # "the black ones": those still in the catalog
        resolution.products = [p for p in resolution.products if services.retriever.get(p.id) is not None]
    if (resolution.plural and not resolution.products) or any(services.retriever.get(p.id) is None for p in resolution.products):
        return state, Resolution(problem=NO_LONGER_AVAILABLE)
    resolution.candidates = [p for p in resolution.candidates if services.retriever.get(p.id) is not None]
    return state, resolution


def record_reaction(tracker: Tracker, services: Services, kind: Reaction, product_id: str, state: SearchState) -> None:
    """Store a reaction with the search it happened in (explicit or implicit)."""
    services.personalised.record(
        customer_context(tracker), kind, product_id,
        query=state.constraints.query_text(), constraints=state.constraints.to_dict(),
    )


def ask_which(dispatcher: CollectingDispatcher, tracker: Tracker, state: SearchState, resolution: Resolution) -> list[EventType]:
    """Ask which product is meant; each button names its product by id and repeats the customer's intent.

    So "add the blue one to my cart" with two blue products on screen offers two "add to cart"
    buttons, each for one exact product, never a position that could point elsewhere.
    """
    if not resolution.candidates:
        dispatcher.utter_message(text=resolution.problem or NOTHING_ON_SCREEN)
        return []
    intent = latest_intent(tracker) or "select_item"
    if intent.startswith("nlu_") or intent in ("out_of_scope",):
        intent = "select_item"
    positions = {pid: state.first_position + i for i, pid in enumerate(state.shown)}
    options = []
    for product in resolution.candidates[:MAX_CHOICES]:
        number = positions.get(product.id)
        label = f"#{number} {product.title[:40]}" if number else product.title[:44]
        options.append(quick_reply(label, f"/{intent}{json.dumps({'product_id': product.id})}"))
    lead = f"{resolution.problem} " if resolution.problem else ""
    dispatcher.utter_message(text=f"{lead}Which one do you mean?", buttons=options)
    return []


REGISTERED_KEYS = {spec.field.removeprefix("attributes.") for spec in DETAIL_ATTRIBUTES if spec.field and spec.field.startswith("attributes.")}
LONGEST_FREE_FACT = 80
"""A free attribute longer than this (a specification list, a blurb) is left to the description, not read out."""


def describe_product(product: Product) -> str:
    """The product's title, price, every registered attribute it has, then the catalog's own short facts
    (IKEA's width and designer: a customer asks "how big is it?")."""
    facts = [f"{product.title} — {format_price(product)}."]
    facts += [f"{spec.title}: {spec.display(product)}." for spec in DETAIL_ATTRIBUTES if spec.display(product)]
    facts += [f"{key.replace('_', ' ').capitalize()}: {value}." for key, value in (product.attributes or {}).items()
              if key not in REGISTERED_KEYS and isinstance(value, (str, int, float)) and 0 < len(str(value)) <= LONGEST_FREE_FACT]
    return " ".join(facts)


class ReferringAction(Action, ABC):
    """An action about one product the customer refers to; when the reference is unclear it asks which one.

    A plural reference ("the black ones") that fits several products asks which one, unless the
    action can take them all at once (``act_on_each``, as a like or dislike does).
    """

    @customer_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Resolve the reference, then act on the product (``act``), or ask which product is meant."""
        services = get_services()
        state, resolution = resolve_reference(tracker, services)
        if not resolution.products:
            return ask_which(dispatcher, tracker, state, resolution)
        if len(resolution.products) > 1:
            events = self.act_on_each(dispatcher, tracker, services, state, resolution.products)
            if events is not None:
                return events
            return ask_which(dispatcher, tracker, state, Resolution(candidates=resolution.products, problem=SEVERAL_FIT))
        return self.act(dispatcher, tracker, services, state, resolution.products[0])

    @abstractmethod
    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, services: Services, state: SearchState,
            product: Product) -> list[EventType]:
        """What the action does with the product the customer meant."""

    def act_on_each(self, dispatcher: CollectingDispatcher, tracker: Tracker, services: Services, state: SearchState,
                    products: list[Product]) -> list[EventType] | None:
        """What the action does with several products the customer meant at once; None: it asks which one."""
        return None


class ActionSelectProduct(ReferringAction):
    """Focus on the product the customer points at ("the second one")."""

    def name(self) -> str:
        return "action_select_product"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, services: Services, state: SearchState,
            product: Product) -> list[EventType]:
        """Resolve the reference and show that product's details."""
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


class ActionProductDetails(ReferringAction):
    """Answer a question about a product from the catalog ("what sizes?", "other colours?")."""

    def name(self) -> str:
        return "action_product_details"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, services: Services, state: SearchState,
            product: Product) -> list[EventType]:
        """Answer the asked attribute, or give the full description."""
        record_reaction(tracker, services, Reaction.DETAILS, product.id, state)
        attribute = " ".join(str(e.get("value")) for e in latest_entities(tracker) if e.get("entity") == "attribute").lower()
        text = f"{attribute} {latest_text(tracker).lower()}"
        if "colour" in text or "color" in text:
            state.view, state.anchor, state.page = "colours", product.id, 0
            return [SlotSet(FOCUS_SLOT, product.id), *show_view(dispatcher, services, state, customer_context(tracker))]
        if "size" in text:
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


class ActionCompareProducts(Action):
    """Compare two products on screen side by side."""

    def name(self) -> str:
        return "action_compare_products"

    @customer_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Resolve two products (two references, or one plus the focused one) and compare them."""
        services = get_services()
        state, resolution = resolve_reference(tracker, services, wanted=2)
        if resolution.problem == NO_LONGER_AVAILABLE:  # never compare another product in place of the one meant
            dispatcher.utter_message(text=NO_LONGER_AVAILABLE)
            return []
        if resolution.problem and not resolution.products and resolution.candidates:
            return ask_which(dispatcher, tracker, state, resolution)
        products = list(resolution.products)
        if len(products) < 2:
            focused = _focused(tracker, services)
            in_catalog = [focused] if focused is not None and services.retriever.get(focused.id) is not None else []
            for candidate in [*in_catalog, *services.retriever.get_many(state.shown)]:
                if candidate not in products:
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
    """Price, then every registered attribute, for two products ("—" where one has none)."""
    rows = [(PRICE.title, format_price(first), format_price(second))]
    rows += [(spec.title, spec.display(first) or "—", spec.display(second) or "—") for spec in DETAIL_ATTRIBUTES
             if spec.display(first) or spec.display(second)]
    return rows


def comparison_text(first: Product, second: Product) -> str:
    lines = [f"Comparing A) {first.title} and B) {second.title}:"]
    lines += [f"- {label}: A {a} | B {b}" for label, a, b in comparison_rows(first, second) if a != b]
    same = [label.lower() for label, a, b in comparison_rows(first, second) if a == b and a != "—"]
    if same:
        lines.append(f"Same {', '.join(same)}.")
    if first.price is not None and second.price is not None and first.price != second.price:
        cheaper = first if first.price < second.price else second
        lines.append(f"{cheaper.title} is cheaper by {money(abs(first.price - second.price), cheaper.currency)}.")
    return "\n".join(lines)


def comparison_payload(first: Product, second: Product) -> dict[str, Any]:
    return {"type": "comparison", "products": [first.id, second.id], "titles": [first.title, second.title],
            "rows": [list(row) for row in comparison_rows(first, second)]}


class ActionMoreLikeThis(ReferringAction):
    """Show products similar to the one the customer points at."""

    def name(self) -> str:
        return "action_more_like_this"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, services: Services, state: SearchState,
            anchor: Product) -> list[EventType]:
        """Nearest neighbours of the referenced product, within the customer's constraints; they become the list on screen."""
        record_reaction(tracker, services, Reaction.MORE_LIKE_THIS, anchor.id, state)
        state.view, state.anchor, state.page = "similar", anchor.id, 0
        return [SlotSet(FOCUS_SLOT, anchor.id), *show_view(dispatcher, services, state, customer_context(tracker))]
