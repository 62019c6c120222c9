"""What a customer's message takes away, how the price moves, and relaxation when nothing matches.

Pure functions (no I/O). "Any colour is fine", "forget the budget", "never mind the size": the
NLU's entities first, then the message's own words against the registry. Relaxation drops older
constraints before those of the latest refining message, least important first.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from actions.constraints import PRICE_ENTITIES, Canonicaliser, Constraints, parse_price
from actions.refine import apply_entities
from retrieval.attributes import PRICE, PRODUCT_TYPE, REGISTRY, Attribute, by_entity, discrete, named_by

_START_OVER = re.compile(
    r"\b(start(ing)?\s+(over|again|afresh|from\s+scratch)|from\s+scratch|reset|new\s+search|begin\s+again|start\s+a\s+new)\b")
_CLEAR_ALL = re.compile(
    r"\b((all|every|any|the)\s+(of\s+the\s+|my\s+|the\s+)?(filters?|constraints?|criteria|restrictions?)"
    r"|no\s+(more\s+)?(filters?|constraints?)|(clear|remove|drop|forget|lose)\s+(it\s+)?(all|everything)"
    r"|clear\s+(the\s+|my\s+)?(filters?|constraints?|search))\b")
PRICIER_WORDS = ("expensive", "premium", "pricier", "higher", "better quality", "luxury", "spend more", "upmarket",
                 "fancier", "high end", "high-end", "costlier")


@dataclass
class Removal:
    """What a "remove" turn did: the new constraints, what went (for the answer), whether it started over."""

    constraints: Constraints
    removed: list[str] = field(default_factory=list)
    started_over: bool = False


def remove_constraints(constraints: Constraints, entities: list[dict[str, Any]], canonicalise: Canonicaliser, text: str = "") -> Removal:
    """Relax what the customer names: a kind ("any colour"), a value ("forget Nike"), or everything.

    The NLU's entities are used first; when they name nothing that is set, the message's own words
    are read against the registry (attribute words, the values currently set), so "never mind the
    size" works even when the tagger missed "size". "Start over" clears everything; "clear all
    filters" keeps only the kind of product.
    """
    updated = constraints.copy()
    removed: list[str] = []
    for entity in entities:
        name, raw = entity.get("entity"), str(entity.get("value") or "").strip()
        if name == "attribute":
            for word in re.findall(r"[a-z]+", raw.lower()):
                spec = named_by(word)
                if spec is not None and updated.has(spec):
                    updated.clear(spec)
                    removed.append(spec.noun)
                    break
        elif name in PRICE_ENTITIES and updated.has(PRICE):
            updated.clear(PRICE)
            removed.append(PRICE.noun)
        elif (spec := by_entity(str(name))) is not None and spec.kind != "range":
            values = canonicalise(spec.name, raw) if spec.synonyms else [raw.lower()]
            removed += _drop_values(updated, spec, values)
    if removed:
        return Removal(updated, list(dict.fromkeys(removed)))
    return _remove_by_words(updated, text)


def _drop_values(constraints: Constraints, spec: Attribute, values: Iterable[str]) -> list[str]:
    dropped = []
    for value in values:
        for bucket in (constraints.wanted, constraints.unwanted, constraints.soft):
            if value in (bucket.get(spec.name) or []):
                bucket[spec.name] = [v for v in bucket[spec.name] if v != value]
                dropped.append(value)
    if spec.for_whom and dropped and not constraints.values(spec.name):
        constraints.recipient = None
    return dropped


def _remove_by_words(constraints: Constraints, text: str) -> Removal:
    lowered = text.lower()
    if _START_OVER.search(lowered):
        return Removal(Constraints(), ["everything"], started_over=True)
    if _CLEAR_ALL.search(lowered):
        kept = Constraints(wanted={PRODUCT_TYPE.name: constraints.values(PRODUCT_TYPE.name)}, keywords=list(constraints.keywords))
        return Removal(Constraints.from_dict(kept.to_dict()), ["all filters"])
    removed: list[str] = []
    for word in re.findall(r"[a-z]+", lowered):
        spec = named_by(word)
        if spec is not None and spec is not PRODUCT_TYPE and constraints.has(spec):
            constraints.clear(spec)
            removed.append(spec.noun)
    words = f" {' '.join(re.findall(r'[a-z0-9]+', lowered))} "
    for spec in discrete():
        for value in [*constraints.values(spec.name), *constraints.excluded(spec.name), *constraints.soft_values(spec.name)]:
            if f" {' '.join(re.findall(r'[a-z0-9]+', value.lower()))} " in words:
                removed += _drop_values(constraints, spec, [value])
    return Removal(constraints, list(dict.fromkeys(removed)))


def change_price(constraints: Constraints, entities: list[dict[str, Any]], shown_prices: list[float], text: str) -> Constraints:
    """Apply an explicit price range, or move it relative to what is on screen ("cheaper")."""
    updated = constraints.copy()
    explicit = [e for e in entities if e.get("entity") in PRICE_ENTITIES and parse_price(e.get("value")) is not None]
    if explicit:
        return apply_entities(updated, explicit, canonicalise=lambda _name, value: [value])
    if not shown_prices:
        return updated
    middle = sorted(shown_prices)[len(shown_prices) // 2]
    lowered = text.lower()
    if any(word in lowered for word in PRICIER_WORDS):
        updated.price_min, updated.price_max = round(middle, 2), None
    else:
        updated.price_max = round(min(middle, min(shown_prices) * 1.5) - 0.01, 2)
        if updated.price_min is not None and updated.price_min >= updated.price_max:
            updated.price_min = None
    updated.latest = [PRICE.name]
    return updated


def newest(constraints: Constraints) -> list[str]:
    """What the customer's latest refining message asked for, which relaxation never drops.

    Only a refinement protects anything: when a message states the whole request at once ("purple
    sandals for men under $1"), nothing older stands beside it, and its least important part may go.
    """
    if not any(constraints.filters_on(spec) and spec.name not in constraints.latest for spec in REGISTRY):
        return []
    return [spec.name for spec in REGISTRY
            if spec.name in constraints.latest and spec.relax_rank is not None and constraints.filters_on(spec)]


def relax_once(constraints: Constraints, keep: Collection[str] = (), *, currency: str | None = None) -> tuple[Constraints, str | None]:
    """Drop one constraint: older ones before those of the customer's latest message, least important first.

    Returns the new constraints and a description of what was dropped (None when nothing is left
    to drop; the kind of product itself is never dropped, nor the attributes named in ``keep``).
    What the customer has just said is dropped only when nothing older is left to drop.
    """
    updated = constraints.copy()
    candidates = sorted((spec for spec in REGISTRY if spec.relax_rank is not None and spec.name not in keep and updated.filters_on(spec)),
                        key=lambda spec: (spec.name in updated.latest, spec.relax_rank))
    if candidates:
        spec = candidates[0]
        dropped = updated.summary_of(spec, currency)
        updated.clear(spec, soft=False)
        return updated, dropped
    if updated.keywords and not keep:
        dropped = ", ".join(updated.keywords)
        updated.keywords = []
        return updated, f'"{dropped}"'
    return updated, None
