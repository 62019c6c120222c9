"""An honest answer when a request names a kind of product the shop does not sell.

Whether it does is decided by the calibrated coverage model (``retrieval/coverage.py``), only for
product words that did not resolve to a catalog value; the answer names what the shop does carry,
from the catalog (``actions.catalog``), and shows no cards.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.catalog import CATEGORY, catalog_buttons, departments, describe, lower, sentence
from actions.constraints import Constraints
from actions.services import Services
from retrieval import Retriever
from retrieval.attributes import PRODUCT_TYPE, categorical, named_by
from retrieval.coverage import Verdict, content_words, kind_words
from retrieval.vocabulary import fold, load_synonyms

UNCOUNTABLE = frozenset({"furniture", "lighting", "luggage", "equipment", "jewellery", "jewelry", "stationery", "cutlery",
                         "crockery", "bedding", "software", "hardware", "clothing", "footwear", "makeup", "decor",
                         "eyewear", "headwear", "innerwear", "nightwear", "swimwear", "apparel", "care", "wear", "gear"})
# Words of a search that name no kind of product even when nothing else in the message does ("under 50 dollars").
NOT_KINDS = frozenset({"dollar", "dollars", "bucks", "usd", "rs", "rupees", "euro", "euros", "pound", "pounds", "sar",
                       "cheap", "cheapest", "expensive", "pricey"})


@dataclass
class Unsold:
    """What a request asked for that the catalog does not carry, and the coverage model's verdict."""

    requested: str
    verdict: Verdict
    others: bool = False
    """The same message also named kinds the catalog does carry (those are searched)."""


def _without_entities(text: str, entities: Iterable[dict[str, Any]]) -> str:
    """The message with the words the NLU already understood blanked out (by span, else by value)."""
    chars = list(text)
    for entity in entities:
        start, end = entity.get("start"), entity.get("end")
        if isinstance(start, int) and isinstance(end, int) and 0 <= start <= end <= len(chars):
            chars[start:end] = " " * (end - start)
    cleaned = "".join(chars)
    for entity in entities:
        value = str(entity.get("value") or "").strip()
        if value:
            cleaned = re.sub(rf"(?i)(?<!\w){re.escape(value)}(?!\w)", " ", cleaned, count=1)
    return cleaned


def names_another_attribute(retriever: Retriever, word: str) -> bool:
    """Whether a word names a value of an attribute other than the kind ("red", "summer", "wife", "present")."""
    table = load_synonyms()
    return any(spec.synonyms and (fold(word) in table.get(spec.name, {}) or retriever.vocabulary.canonical_values(spec.name, word, nearest=False))
               for spec in categorical() if spec not in (PRODUCT_TYPE, CATEGORY))


def named_kind(retriever: Retriever, text: str, entities: list[dict[str, Any]]) -> str:
    """The words naming a kind of product in a message with no product entity ("bathroom lighting"); "" when none.

    Words the NLU tagged, words for an attribute itself ("price", "size") and words naming another
    attribute's values ("red", "for my wife", "a present") name no kind.
    """
    return " ".join(w for w in kind_words(_without_entities(text, entities))
                    if w not in NOT_KINDS and named_by(w) is None and not names_another_attribute(retriever, w))


def unsold_request(services: Services, entities: list[dict[str, Any]], text: str, constraints: Constraints, *,
                   read_words: bool = True) -> Unsold | None:
    """The kind of product a request names that the catalog does not carry, or None.

    Judged are product words that resolved to no catalog value (``constraints`` kept them as search
    keywords), or, with ``read_words`` and when the NLU found no product at all, the message's own
    words naming a kind ("bathroom lighting").
    """
    products = [e for e in entities if e.get("entity") == PRODUCT_TYPE.entity]
    wanted = [str(e.get("value") or "").strip() for e in products if e.get("role") != "exclude"]
    unknown = [p for p in wanted if p and p.lower() in constraints.keywords and content_words(p)]
    resolved = [p for p in wanted if p and p.lower() not in constraints.keywords]
    if not products and read_words:
        phrase = named_kind(services.retriever, text, entities)
        unknown = [phrase] if phrase else []
    for phrase in unknown:
        verdict = services.coverage.judge(phrase)
        if not verdict.carried:
            return Unsold(requested=phrase, verdict=verdict, others=bool(resolved))
    return None


def plural(phrase: str) -> str:
    """"coffee table" -> "coffee tables", "sofas" and "bathroom lighting" stay as they are."""
    words = phrase.split()
    if not words:
        return phrase
    last = words[-1]
    if last.endswith(("s", "ing")) or last in UNCOUNTABLE or not last.isalpha():
        return phrase
    if last.endswith(("x", "ch", "sh", "z")):
        last += "es"
    elif last.endswith("y") and last[-2:-1] not in ("a", "e", "i", "o", "u"):
        last = last[:-1] + "ies"
    else:
        last += "s"
    return " ".join([*words[:-1], last])


def requested_text(unsold: Unsold) -> str:
    """The customer's words for what the shop does not sell, as a sentence names them."""
    return plural(" ".join(kind_words(unsold.requested)) or unsold.requested.strip())


def not_carried(dispatcher: CollectingDispatcher, services: Services, unsold: Unsold) -> list[EventType]:
    """Say plainly that the shop does not sell it, what it does sell, and the closest kinds; no cards, state unchanged."""
    found = departments(services.retriever)
    parts = [f"We don't sell {requested_text(unsold)}.", f"We have {describe(found, counts=False)}."]
    if unsold.verdict.closest:
        parts.append(f"The closest we have: {sentence([lower(k) for k in unsold.verdict.closest])}.")
    parts.append("What would you like to see?")
    dispatcher.utter_message(text=" ".join(parts), buttons=catalog_buttons(services))
    dispatcher.utter_message(json_message={
        "type": "not_carried", "requested": unsold.requested, "categories": [d.name for d in found],
        "closest": list(unsold.verdict.closest), "probability": round(unsold.verdict.probability, 3),
    })
    return []


def not_carried_lead(unsold: Unsold) -> str:
    """The sentence before the results when a request also named kinds the shop does carry."""
    return f"We don't sell {requested_text(unsold)}, but here is the rest of what you asked for."
