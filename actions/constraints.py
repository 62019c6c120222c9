"""The customer's shopping constraints and how each turn updates them.

Pure functions only (no I/O), so every refinement rule is unit-testable. Which attributes exist,
which NLU entity names each, which can be excluded, filtered or relaxed and how they read in a
summary all come from the attribute registry (``retrieval.attributes``); nothing here lists them.
Values are canonical catalog values ("Sports Shoes", "Navy Blue"); turning the customer's words
into them is delegated to a ``canonicalise(attribute, text) -> values`` callable supplied by the
caller (the retriever), which may return several values ("kids" -> Boys and Girls).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from retrieval.attributes import PRICE, PRODUCT_TYPE, REGISTRY, Attribute, attribute, by_entity, categorical, discrete, named_by
from retrieval.types import Filters

Canonicaliser = Callable[[str, str], list[str]]
PRICE_ENTITIES = ("price_min", "price_max")
_START_OVER = re.compile(
    r"\b(start(ing)?\s+(over|again|afresh|from\s+scratch)|from\s+scratch|reset|new\s+search|begin\s+again|start\s+a\s+new)\b")
_CLEAR_ALL = re.compile(
    r"\b((all|every|any|the)\s+(of\s+the\s+|my\s+|the\s+)?(filters?|constraints?|criteria|restrictions?)"
    r"|no\s+(more\s+)?(filters?|constraints?)|(clear|remove|drop|forget|lose)\s+(it\s+)?(all|everything)"
    r"|clear\s+(the\s+|my\s+)?(filters?|constraints?|search))\b")
PRICIER_WORDS = ("expensive", "premium", "pricier", "higher", "better quality", "luxury", "spend more", "upmarket",
                 "fancier", "high end", "high-end", "costlier")
_SAME_PERSON = re.compile(r"\b(also|too|as\s+well|another|matching|to\s+go\s+with|same\s+person|for\s+(him|her|them)\s+too)\b")


@dataclass
class Constraints:
    """Everything the customer has asked for so far in the current search."""

    wanted: dict[str, list[str]] = field(default_factory=dict)
    """Registered attribute -> values the customer wants (alternatives)."""
    unwanted: dict[str, list[str]] = field(default_factory=dict)
    """Registered attribute -> values the customer ruled out ("not Nike")."""
    price_min: float | None = None
    price_max: float | None = None
    keywords: list[str] = field(default_factory=list)
    """Words of the request that named no catalog value ("waterproof", "raincoat"): they steer the
    semantic and lexical match without filtering."""
    latest: list[str] = field(default_factory=list)
    """Attributes the customer's latest refining message set: relaxation drops older ones first."""

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Constraints:
        """Read the slot form; unknown attributes and malformed values are dropped, never fatal."""
        data = data if isinstance(data, dict) else {}
        return cls(
            wanted=_attribute_lists(data.get("wanted")),
            unwanted=_attribute_lists(data.get("unwanted")),
            price_min=_parse_price(data.get("price_min")),
            price_max=_parse_price(data.get("price_max")),
            keywords=_strings(data.get("keywords")),
            latest=[n for n in _strings(data.get("latest")) if _known(n)],
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "wanted": {k: list(v) for k, v in self.wanted.items() if v},
            "unwanted": {k: list(v) for k, v in self.unwanted.items() if v},
            "price_min": self.price_min, "price_max": self.price_max,
            "keywords": list(self.keywords), "latest": list(self.latest),
        }

    def copy(self) -> Constraints:
        return Constraints.from_dict(self.to_dict())

    def values(self, name: str) -> list[str]:
        return list(self.wanted.get(name) or [])

    def excluded(self, name: str) -> list[str]:
        return list(self.unwanted.get(name) or [])

    def has(self, spec: Attribute) -> bool:
        """Whether anything about ``spec`` is set (wanted or excluded values, or a price bound)."""
        if spec.kind == "range":
            return self.price_min is not None or self.price_max is not None
        return bool(self.wanted.get(spec.name) or self.unwanted.get(spec.name))

    def is_empty(self) -> bool:
        return not any(self.has(spec) for spec in REGISTRY) and not self.keywords

    def clear(self, spec: Attribute) -> None:
        """Forget everything about one attribute."""
        if spec.kind == "range":
            self.price_min = self.price_max = None
        else:
            self.wanted.pop(spec.name, None)
            self.unwanted.pop(spec.name, None)
        self.latest = [n for n in self.latest if n != spec.name]

    def mark_latest(self, name: str) -> None:
        if name not in self.latest:
            self.latest.append(name)

    def to_filters(self, excluded_ids: Iterable[str] = ()) -> Filters:
        """The hard filters the retriever applies: filterable wanted values, excludable unwanted ones, price."""
        return Filters(
            include={n: list(v) for n, v in self.wanted.items() if v and attribute(n).filterable},
            exclude={n: list(v) for n, v in self.unwanted.items() if v and attribute(n).excludable},
            price_min=self.price_min, price_max=self.price_max, exclude_ids=list(excluded_ids),
        )

    def query_text(self) -> str:
        """The text handed to semantic + lexical search: the customer's words in catalog terms, the product kind last."""
        modifiers = [v for spec in discrete() if spec.in_query and spec is not PRODUCT_TYPE for v in self.values(spec.name)]
        parts = [*modifiers, *self.keywords, *self.values(PRODUCT_TYPE.name)]
        return " ".join(dict.fromkeys(p for p in parts if p))

    def describe(self) -> str:
        """A short human summary, shown with every result page: 'Sports Shoes · Black · for Men · under $80'."""
        parts = [spec.summary.format(value=v) for spec in discrete() for v in self.values(spec.name)]
        price = self.price_text()
        if price:
            parts.append(price)
        parts += [f"not {v}" for spec in discrete() for v in self.excluded(spec.name)]
        parts += [f'"{k}"' for k in self.keywords]
        return " · ".join(parts) if parts else "no constraints yet"

    def price_text(self) -> str:
        if self.price_min is not None and self.price_max is not None:
            return f"${self.price_min:g}–${self.price_max:g}"
        if self.price_max is not None:
            return f"under ${self.price_max:g}"
        if self.price_min is not None:
            return f"over ${self.price_min:g}"
        return ""

    def summary_of(self, spec: Attribute) -> str:
        """One attribute's part of the summary ("colour Black", "under $20", "size 9")."""
        if spec.kind == "range":
            return self.price_text()
        values = self.values(spec.name) or [f"not {v}" for v in self.excluded(spec.name)]
        return f"{spec.label} {', '.join(values)}"


def _known(name: str) -> bool:
    try:
        attribute(name)
    except KeyError:
        return False
    return True


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value if isinstance(v, (str, int, float)) and str(v).strip()] if isinstance(value, list) else []


def _attribute_lists(value: Any) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        return {}
    return {str(k): _strings(v) for k, v in value.items() if _known(str(k)) and _strings(v)}


def _parse_price(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(str(value).replace(",", "").replace("$", "").strip())
    except ValueError:
        return None
    return number if number >= 0 and number == number and number != float("inf") else None


def _add(values: list[str], new: Iterable[str]) -> list[str]:
    return list(dict.fromkeys([*values, *new]))


def apply_entities(constraints: Constraints, entities: Iterable[dict[str, Any]], canonicalise: Canonicaliser, *, replace: bool = True) -> Constraints:
    """Merge one message's entities into the constraints.

    Several values of one attribute in the same message ("black or navy") are kept together; a
    value in a later message replaces the earlier ones ("actually red") when ``replace`` is true.
    An entity with role ``exclude`` ("not Nike") moves the value to the exclusions. A price entity
    without a usable number ("a bigger budget") leaves the budget as it was.
    """
    updated = constraints.copy()
    updated.latest = []
    replaced: set[str] = set()
    for entity in entities:
        name, raw = entity.get("entity"), str(entity.get("value") or "").strip()
        if not raw:
            continue
        if name in PRICE_ENTITIES:
            price = _parse_price(raw)
            if price is not None:
                setattr(updated, str(name), price)
                updated.mark_latest(PRICE.name)
            continue
        spec = by_entity(str(name))
        if spec is None or spec.kind == "range":
            continue
        values = canonicalise(spec.name, raw) if spec.synonyms else [raw.lower()]
        if not values and spec.broader:  # "bags", "footwear": not a product type, but a category
            broader = attribute(spec.broader)
            values = canonicalise(broader.name, raw)
            spec = broader if values else spec
        if not values:
            if entity.get("role") != "exclude" and spec.keeps_unknown_words:
                updated.keywords = _add(updated.keywords, [raw.lower()])
            continue
        if entity.get("role") == "exclude" and spec.excludable:
            updated.unwanted[spec.name] = _add(updated.excluded(spec.name), values)
            updated.wanted[spec.name] = [v for v in updated.values(spec.name) if v not in values]
        else:
            if replace and spec.name not in replaced:
                updated.wanted[spec.name] = []
                replaced.add(spec.name)
            updated.wanted[spec.name] = _add(updated.values(spec.name), values)
            updated.unwanted[spec.name] = [v for v in updated.excluded(spec.name) if v not in values]
        updated.mark_latest(spec.name)
    if updated.price_min is not None and updated.price_max is not None and updated.price_min > updated.price_max:
        updated.price_min, updated.price_max = updated.price_max, updated.price_min
    return Constraints.from_dict(updated.to_dict())


def implies_same_person(text: str) -> bool:
    """Whether a new request continues for the same person ("a watch too", "matching shoes")."""
    return bool(_SAME_PERSON.search(text.lower()))


def start_new_search(previous: Constraints, entities: list[dict[str, Any]], canonicalise: Canonicaliser, text: str = "") -> Constraints:
    """A fresh request drops the old constraints; who it is for carries over only when the words say so.

    "A watch too" after a search for men's shoes keeps "for Men"; "show me a watch" starts clean,
    because the customer may well be shopping for someone else now. A gender the new request names
    itself always wins.
    """
    carried = Constraints()
    if implies_same_person(text):
        for spec in categorical():
            if spec.always_included and previous.values(spec.name):  # the "who is it for" attributes
                carried.wanted[spec.name] = previous.values(spec.name)
    return apply_entities(carried, entities, canonicalise)


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
        for bucket in (constraints.wanted, constraints.unwanted):
            if value in (bucket.get(spec.name) or []):
                bucket[spec.name] = [v for v in bucket[spec.name] if v != value]
                dropped.append(value)
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
        for value in [*constraints.values(spec.name), *constraints.excluded(spec.name)]:
            if f" {' '.join(re.findall(r'[a-z0-9]+', value.lower()))} " in words:
                removed += _drop_values(constraints, spec, [value])
    return Removal(constraints, list(dict.fromkeys(removed)))


def change_price(constraints: Constraints, entities: list[dict[str, Any]], shown_prices: list[float], text: str) -> Constraints:
    """Apply an explicit price range, or move it relative to what is on screen ("cheaper")."""
    updated = constraints.copy()
    explicit = [e for e in entities if e.get("entity") in PRICE_ENTITIES and _parse_price(e.get("value")) is not None]
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


def relax_once(constraints: Constraints) -> tuple[Constraints, str | None]:
    """Drop one constraint: older ones before those of the customer's latest message, least important first.

    Returns the new constraints and a description of what was dropped (None when nothing is left
    to drop; the kind of product itself is never dropped). What the customer has just said is
    dropped only when nothing older is left to drop.
    """
    updated = constraints.copy()
    candidates = sorted((spec for spec in REGISTRY if spec.relax_rank is not None and updated.has(spec)),
                        key=lambda spec: (spec.name in updated.latest, spec.relax_rank))
    if candidates:
        spec = candidates[0]
        dropped = updated.summary_of(spec)
        updated.clear(spec)
        return updated, dropped
    if updated.keywords:
        dropped = ", ".join(updated.keywords)
        updated.keywords = []
        return updated, f'"{dropped}"'
    return updated, None
