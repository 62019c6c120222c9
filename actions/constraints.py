"""The customer's shopping constraints: what they want, rule out, and how that reads and filters.

Pure (no I/O). How a turn changes them lives beside this module: ``actions.refine`` (what the
customer adds, who it is for) and ``actions.relax`` (what they drop, the price moves, relaxation
when nothing matches). Which attributes exist,
which NLU entity names each, which can be excluded, filtered or relaxed and how they read in a
summary all come from the attribute registry (``retrieval.attributes``); nothing here lists them.
Values are canonical catalog values ("Sports Shoes", "Navy Blue"); turning the customer's words
into them is delegated to a ``canonicalise(attribute, text) -> values`` callable supplied by the
caller (the retriever), which may return several values ("kids" -> Boys and Girls).

A word the synonym table knows but the catalog has no value for ("gift") is a soft constraint
where the registry allows it: it steers the ranking and shows in the summary, and never filters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from retrieval.attributes import PRICE, PRODUCT_TYPE, REGISTRY, Attribute, attribute, discrete
from retrieval.presentation import money
from retrieval.types import Filters

Canonicaliser = Callable[[str, str], list[str]]
PRICE_ENTITIES = ("price_min", "price_max")


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
    soft: dict[str, list[str]] = field(default_factory=dict)
    """Registered attribute -> values that steer the ranking and show in the summary without filtering
    (an occasion the catalog has no label for: "Gift")."""
    recipient: str | None = None
    """The customer's word for who the products are for ("wife"): a later "she" refers back to them,
    while someone else ("my son") starts afresh."""

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Constraints:
        """Read the slot form; unknown attributes and malformed values are dropped, never fatal."""
        data = data if isinstance(data, dict) else {}
        return cls(
            wanted=_attribute_lists(data.get("wanted")),
            unwanted=_attribute_lists(data.get("unwanted")),
            price_min=parse_price(data.get("price_min")),
            price_max=parse_price(data.get("price_max")),
            keywords=_strings(data.get("keywords")),
            latest=[n for n in _strings(data.get("latest")) if _known(n)],
            soft=_attribute_lists(data.get("soft")),
            recipient=str(data["recipient"]) if isinstance(data.get("recipient"), str) and data["recipient"].strip() else None,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "wanted": {k: list(v) for k, v in self.wanted.items() if v},
            "unwanted": {k: list(v) for k, v in self.unwanted.items() if v},
            "price_min": self.price_min, "price_max": self.price_max,
            "keywords": list(self.keywords), "latest": list(self.latest),
            "soft": {k: list(v) for k, v in self.soft.items() if v}, "recipient": self.recipient,
        }

    def copy(self) -> Constraints:
        return Constraints.from_dict(self.to_dict())

    def values(self, name: str) -> list[str]:
        return list(self.wanted.get(name) or [])

    def excluded(self, name: str) -> list[str]:
        return list(self.unwanted.get(name) or [])

    def soft_values(self, name: str) -> list[str]:
        return list(self.soft.get(name) or [])

    def has(self, spec: Attribute) -> bool:
        """Whether anything about ``spec`` is set (wanted, excluded or soft values, or a price bound)."""
        return self.filters_on(spec) or bool(self.soft.get(spec.name))

    def filters_on(self, spec: Attribute) -> bool:
        """Whether ``spec`` narrows the results (wanted or excluded values, or a price bound); soft values do not."""
        if spec.kind == "range":
            return self.price_min is not None or self.price_max is not None
        return bool(self.wanted.get(spec.name) or self.unwanted.get(spec.name))

    def is_empty(self) -> bool:
        return not any(self.has(spec) for spec in REGISTRY) and not self.keywords

    def clear(self, spec: Attribute, *, soft: bool = True) -> None:
        """Forget everything about one attribute (its soft values too, unless ``soft`` is false)."""
        if spec.kind == "range":
            self.price_min = self.price_max = None
        else:
            self.wanted.pop(spec.name, None)
            self.unwanted.pop(spec.name, None)
            if soft:
                self.soft.pop(spec.name, None)
        if spec.for_whom:
            self.recipient = None
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
        modifiers = [v for spec in discrete() if spec.in_query and spec is not PRODUCT_TYPE for v in self._stated(spec.name)]
        parts = [*modifiers, *self.keywords, *self.values(PRODUCT_TYPE.name)]
        return " ".join(dict.fromkeys(p for p in parts if p))

    def describe(self, currency: str | None = None) -> str:
        """A short human summary, shown with every result page: 'Sports Shoes · Black · for Men · under $80'."""
        parts = [spec.summary.format(value=v) for spec in discrete() for v in self._stated(spec.name)]
        price = self.price_text(currency)
        if price:
            parts.append(price)
        parts += [f"not {v}" for spec in discrete() for v in self.excluded(spec.name)]
        parts += [f'"{k}"' for k in self.keywords]
        return " · ".join(parts) if parts else "no constraints yet"

    def phrase(self, *, kinds: list[str] | None = None, only: Iterable[str] | None = None, currency: str | None = None) -> str:
        """The constraints as a person says them: "Blue Shirts and Tshirts for Men", "Tops under $20".

        ``kinds`` replaces the kinds of product; ``only`` keeps just the named attributes besides them.
        """
        names = None if only is None else set(only)
        before: list[str] = []
        after: list[str] = []
        for spec in discrete():
            if spec is PRODUCT_TYPE or (names is not None and spec.name not in names):
                continue
            for value in self.values(spec.name):
                text = spec.summary.format(value=value)
                (before if text == value else after).append(text)
            after += [f"other than {v}" for v in self.excluded(spec.name)]
        if names is None or PRICE.name in names:
            after += [self.price_text(currency)] if self.price_text(currency) else []
        kinds = self.values(PRODUCT_TYPE.name) if kinds is None else kinds
        return " ".join([*before, listing(kinds) or "products", *after])

    def _stated(self, name: str) -> list[str]:
        """Wanted values, then soft ones: what the customer asked for, filtering or not."""
        return list(dict.fromkeys([*self.values(name), *self.soft_values(name)]))

    def price_text(self, currency: str | None = None) -> str:
        """The budget in the catalog's ``currency``: "under $80", "SAR 200–SAR 500" ("" when none)."""
        if self.price_min is not None and self.price_max is not None:
            return f"{money(self.price_min, currency, cents=False)}–{money(self.price_max, currency, cents=False)}"
        if self.price_max is not None:
            return f"under {money(self.price_max, currency, cents=False)}"
        if self.price_min is not None:
            return f"over {money(self.price_min, currency, cents=False)}"
        return ""

    def summary_of(self, spec: Attribute, currency: str | None = None) -> str:
        """One attribute's part of the summary ("colour Black", "under $20", "size 9")."""
        if spec.kind == "range":
            return self.price_text(currency)
        values = self.values(spec.name) or [f"not {v}" for v in self.excluded(spec.name)]
        return f"{spec.label} {', '.join(values)}"


def listing(items: list[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    return " and ".join([", ".join(items[:-1]), items[-1]]) if len(items) > 1 else "".join(items)


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


def parse_price(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(str(value).replace(",", "").replace("$", "").strip())
    except ValueError:
        return None
    return number if number >= 0 and number == number and number != float("inf") else None


def merged(values: list[str], new: Iterable[str]) -> list[str]:
    return list(dict.fromkeys([*values, *new]))


