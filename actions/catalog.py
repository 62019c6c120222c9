"""What the shop carries: its departments, the catalog overview, and the answer to requests outside shopping.

Everything said about the catalog (departments, example kinds, brands, counts, the quick replies)
is read from the loaded catalog through the retriever's facets, so the same code describes the
demo's fashion catalog or an IKEA catalog ingested through its mapping. Requests for a kind of
product the shop does not sell are answered in ``actions.unsold``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.guard import customer_safe
from actions.rendering import quick_reply
from actions.services import Services, get_services, per_catalog
from actions.state import latest_entities, latest_intent, latest_text
from retrieval import Filters, Retriever
from retrieval.attributes import PRODUCT_TYPE, attribute, by_entity, named_by
from retrieval.coverage import content_words
from retrieval.presentation import ExampleRequest, example_requests
from retrieval.vocabulary import fold

CATEGORY = attribute("category")
GENDER = attribute("gender")
BRAND = attribute("brand")
COLOUR = attribute("colour")
MAX_DEPARTMENTS = 6
EXAMPLES = 3
MAX_BUTTONS = 5
TOP_BRANDS = 8


# --- the catalog, read from the data ---------------------------------------------------------------

@dataclass(frozen=True)
class Department:
    """A top-level category of the catalog (or of part of it) with its most common kinds of product."""

    name: str
    count: int
    examples: tuple[tuple[str, int], ...] = ()

    def describe(self, *, counts: bool) -> str:
        """"apparel 797 (tshirts, shirts, kurtas)"; without counts "apparel (tshirts, shirts, kurtas)"."""
        text = lower(self.name) + (f" {self.count:,}" if counts else "")
        examples = [lower(name) for name, _ in self.examples]
        return f"{text} ({', '.join(examples)})" if examples else text


def lower(name: str) -> str:
    """A catalog name inside a sentence: lower case, acronyms kept ("Personal Care" -> "personal care", "TV & media")."""
    return " ".join(word if len(word) > 1 and word.isupper() else word.lower() for word in name.split())


def is_top_level(category: str) -> bool:
    """Whether a category value is a department itself, not a level below one ("Apparel", not "Apparel > Topwear")."""
    return CATEGORY.path_separator is None or CATEGORY.path_separator not in category


def departments(retriever: Retriever, filters: Filters | None = None) -> list[Department]:
    """The catalog's top-level categories (most products first), each with its most common product types.

    A catalog without categories is described by its product types alone.
    """
    top = [(value, count) for value, count in retriever.facets(CATEGORY.name, filters) if is_top_level(value)]
    if not top:
        return [Department(name, count) for name, count in retriever.facets(PRODUCT_TYPE.name, filters)]
    found = []
    for value, count in top:
        within = Filters(include={**(filters.include if filters else {}), CATEGORY.name: [value]},
                         exclude=dict(filters.exclude) if filters else {})
        kinds = [(name, n) for name, n in retriever.facets(PRODUCT_TYPE.name, within, top=EXAMPLES + 1)
                 if fold(name) != fold(value)][:EXAMPLES]
        found.append(Department(CATEGORY.level_name(value), count, tuple(kinds)))
    return found


def sentence(parts: list[str], *, more: int = 0) -> str:
    """"a, b and c", or "a, b, c and 4 more" when ``more`` were left out."""
    if more:
        return f"{', '.join(parts)} and {more} more"
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def describe(found: list[Department], *, counts: bool) -> str:
    shown = found[:MAX_DEPARTMENTS]
    return sentence([d.describe(counts=counts) for d in shown], more=len(found) - len(shown))


def search_payload(entities: dict[str, str]) -> str:
    return f"/search_product{json.dumps(entities, ensure_ascii=False)}"


def _names_the_category(retriever: Retriever, name: str, path: str, count: int) -> bool:
    """Whether a search for ``name`` as a product type finds (most of) that category, as a quick reply would."""
    types = retriever.canonical_values(PRODUCT_TYPE.name, name)
    if not types:
        return path in retriever.canonical_values(CATEGORY.name, name)
    covered = sum(n for _, n in retriever.facets(PRODUCT_TYPE.name, Filters(include={PRODUCT_TYPE.name: types, CATEGORY.name: [path]})))
    return covered >= count / 2


@per_catalog(maxsize=4)
def department_buttons(retriever: Retriever) -> tuple[tuple[str, str], ...]:
    """(title, payload) of one search per main department: by its name when a search for it finds the
    department, else by its most common product type (so every button shows what it searches)."""
    buttons = []
    top = [(v, n) for v, n in retriever.facets(CATEGORY.name) if is_top_level(v)]
    for value, count in top[:MAX_BUTTONS]:
        name = CATEGORY.level_name(value)
        if _names_the_category(retriever, name, value, count):
            buttons.append((name, search_payload({PRODUCT_TYPE.entity or PRODUCT_TYPE.name: name})))
            continue
        for kind, _ in retriever.facets(PRODUCT_TYPE.name, Filters(include={CATEGORY.name: [value]}), top=1):
            buttons.append((kind, search_payload({PRODUCT_TYPE.entity or PRODUCT_TYPE.name: kind})))
    if not buttons:  # no categories: the most common product types
        buttons = [(kind, search_payload({PRODUCT_TYPE.entity or PRODUCT_TYPE.name: kind}))
                   for kind, _ in retriever.facets(PRODUCT_TYPE.name, top=MAX_BUTTONS)]
    return tuple(buttons)


def catalog_buttons(services: Services) -> list[dict[str, str]]:
    """Quick replies that start a search in each main department of the catalog."""
    return [quick_reply(title, payload) for title, payload in department_buttons(services.retriever)]


@per_catalog(maxsize=4)
def greeting_examples(retriever: Retriever) -> tuple[ExampleRequest, ...]:
    """Requests a customer could make in this catalog (the greeting's buttons, the capabilities answer's example)."""
    return tuple(example_requests(retriever.snapshot.products))


@per_catalog(maxsize=4)
def catalog_sentence(retriever: Retriever) -> str:
    """"apparel (tshirts, shirts, kurtas), accessories (watches, handbags, sunglasses), ..." for the whole catalog."""
    return describe(departments(retriever), counts=False)


# --- "what do you sell?" ---------------------------------------------------------------------------

@dataclass
class Scope:
    """The part of the catalog a question is about ("for kids", "bags", "from Puma") and its filters."""

    filters: Filters = field(default_factory=Filters)
    kinds: list[str] = field(default_factory=list)
    """The customer's words for the kinds asked about ("bags"): they head the answer."""
    group: str = ""
    brand: str = ""
    payload: dict[str, str] = field(default_factory=dict)
    """The entities the quick replies carry so their searches stay in the scope."""

    def is_whole_catalog(self) -> bool:
        return self.filters.is_empty()

    def label(self, noun: str = "products") -> str:
        """"products for boys and girls", "bags from Puma", "products"."""
        text = " and ".join(self.kinds) if self.kinds else noun
        if self.brand:
            text += f" from {self.brand}"
        if self.group:
            text += f" for {self.group}"
        return text


def question_scope(retriever: Retriever, entities: list[dict[str, Any]]) -> Scope:
    """The filters of a catalog question from its entities: who it is for, the brand, the kind."""
    scope = Scope()
    for entity in entities:
        raw = str(entity.get("value") or "").strip()
        spec = by_entity(str(entity.get("entity") or ""))
        if not raw or spec is None or entity.get("role") == "exclude":
            continue
        if spec is GENDER:
            groups = retriever.canonical_values(GENDER.name, raw)
            if groups:
                scope.filters.include[GENDER.name] = groups
                others = [v for v in GENDER.always_included if v not in groups]  # exactly this group: not "also unisex"
                if others:
                    scope.filters.exclude[GENDER.name] = others
                scope.group = sentence([lower(g) for g in groups])
                scope.payload[spec.entity or spec.name] = raw
        elif spec is BRAND:
            brands = retriever.canonical_values(BRAND.name, raw)
            if brands:
                scope.filters.include[BRAND.name] = brands
                scope.brand = brands[0]
                scope.payload[spec.entity or spec.name] = brands[0]
        elif spec is PRODUCT_TYPE:
            categories = [v for v in retriever.canonical_values(CATEGORY.name, raw) if fold(CATEGORY.level_name(v)) == fold(raw)]
            types = [] if categories else retriever.canonical_values(PRODUCT_TYPE.name, raw)
            if categories:
                scope.filters.include[CATEGORY.name] = categories[:1]
            elif types:
                scope.filters.include[PRODUCT_TYPE.name] = types
            else:
                continue
            scope.kinds.append(raw.lower())
            scope.payload[spec.entity or spec.name] = raw
    return scope


def asks_about_brands(text: str) -> bool:
    """Whether the question is about brands ("which brands do you have?"), by the registry's words for the attribute."""
    return any(named_by(word) is BRAND for word in content_words(text))


def brand_answer(services: Services, scope: Scope) -> tuple[str, list[dict[str, str]], dict[str, Any]]:
    brands = services.retriever.facets(BRAND.name, scope.filters)
    top = brands[:TOP_BRANDS]
    listed = sentence([f"{name} ({count:,})" for name, count in top])
    of = "" if scope.is_whole_catalog() else f" of {scope.label()}"
    text = f"We carry {len(brands):,} brands{of}. The biggest: {listed}."
    buttons = [quick_reply(name, search_payload({**scope.payload, BRAND.entity or BRAND.name: name})) for name, _ in top[:MAX_BUTTONS]]
    return text, buttons, {"brands": [{"name": n, "count": c} for n, c in top], "brand_count": len(brands)}


def kinds_answer(services: Services, scope: Scope) -> tuple[str, list[dict[str, str]], dict[str, Any]]:
    """Within one kind ("bags"): its product types and top brands, with counts."""
    retriever = services.retriever
    types = retriever.facets(PRODUCT_TYPE.name, scope.filters)
    total = sum(count for _, count in types)
    brands = retriever.facets(BRAND.name, scope.filters, top=5)
    listed = sentence([f"{lower(name)} {count:,}" for name, count in types[:MAX_DEPARTMENTS]], more=max(len(types) - MAX_DEPARTMENTS, 0))
    text = f"We have {total:,} {scope.label()}" + (f": {listed}." if len(types) > 1 else ".")
    if brands:
        text += f" Top brands: {sentence([f'{name} ({count:,})' for name, count in brands])}."
    buttons = [quick_reply(name, search_payload({**scope.payload, PRODUCT_TYPE.entity or PRODUCT_TYPE.name: name}))
               for name, _ in types[:MAX_BUTTONS]]
    return text, buttons, {"total": total, "types": [{"name": n, "count": c} for n, c in types],
                           "brands": [{"name": n, "count": c} for n, c in brands]}


def departments_answer(services: Services, scope: Scope) -> tuple[str, list[dict[str, str]], dict[str, Any]]:
    """The whole catalog, or one group or brand of it: departments with counts and their most common types."""
    found = departments(services.retriever, None if scope.is_whole_catalog() else scope.filters)
    total = sum(d.count for d in found)
    if not found:
        return f"We have no {scope.label()} at the moment.", catalog_buttons(services), {"total": 0, "categories": []}
    text = f"We have {total:,} {scope.label()}: {describe(found, counts=True)}. What would you like to see?"
    if scope.is_whole_catalog():
        buttons = catalog_buttons(services)
    else:  # the most common kinds of the scope, searched within it
        kinds = services.retriever.facets(PRODUCT_TYPE.name, scope.filters, top=MAX_BUTTONS)
        buttons = [quick_reply(name, search_payload({**scope.payload, PRODUCT_TYPE.entity or PRODUCT_TYPE.name: name})) for name, _ in kinds]
    categories = [{"name": d.name, "count": d.count, "examples": [{"name": n, "count": c} for n, c in d.examples]} for d in found]
    return text, buttons, {"total": total, "categories": categories}


def capabilities_answer(services: Services) -> tuple[str, list[dict[str, str]], dict[str, Any]]:
    """What the assistant does, with examples drawn from the catalog's own most common values."""
    retriever = services.retriever
    group = next(iter(retriever.facets(GENDER.name, top=1)), None)
    within = Filters(include={GENDER.name: [group[0]]}) if group else None
    colours = retriever.facets(COLOUR.name, within, top=2)
    brand = next(iter(retriever.facets(BRAND.name, top=1)), None)
    example = next((e.text for e in greeting_examples(retriever)), "a kind of product and a budget")
    refine = [f"“in {lower(colours[-1][0])}”" if colours else "", "“cheaper”", f"“not {brand[0]}”" if brand else ""]
    text = (f"I can find products in this shop for you. Tell me what you want (e.g. “{example}”), then narrow it down "
            f"(e.g. {', '.join(r for r in refine if r)}), ask about or compare the products I show, ask why I picked one, "
            f"or ask for a person. We have {catalog_sentence(retriever)}.")
    return text, catalog_buttons(services), {"example": example}


class ActionCatalogOverview(Action):
    """Answer "what do you sell?", "which brands?", "anything for kids?", "what bags do you have?" from the catalog."""

    def name(self) -> str:
        return "action_catalog_overview"

    @customer_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """Describe the part of the catalog the question is about, with counts, and offer searches in it."""
        services = get_services()
        text = latest_text(tracker)
        scope = question_scope(services.retriever, latest_entities(tracker))
        if latest_intent(tracker) == "ask_capabilities" and scope.is_whole_catalog():
            answer, buttons, data = capabilities_answer(services)
        elif asks_about_brands(text) and not scope.brand:
            answer, buttons, data = brand_answer(services, scope)
        elif scope.kinds:
            answer, buttons, data = kinds_answer(services, scope)
        else:
            answer, buttons, data = departments_answer(services, scope)
        dispatcher.utter_message(text=answer, buttons=buttons)
        dispatcher.utter_message(json_message={"type": "catalog_overview", "scope": scope.label(), **data})
        return []


class ActionOutOfScope(Action):
    """Answer a request outside shopping honestly, and say what the shop can help with (from the catalog)."""

    def name(self) -> str:
        return "action_out_of_scope"

    @customer_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        """"I can only help with shopping here", the departments, and searches to start from."""
        services = get_services()
        dispatcher.utter_message(
            text=f"Sorry, I can't help with that: I can only help you shop here. We have {catalog_sentence(services.retriever)}. "
                 "What are you looking for?",
            buttons=catalog_buttons(services),
        )
        dispatcher.utter_message(json_message={"type": "out_of_scope"})
        return []
