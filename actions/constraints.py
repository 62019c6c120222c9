"""The customer's shopping constraints and how each turn updates them.

Pure functions only (no I/O), so every refinement rule is unit-testable. Values are canonical
catalog values (``"Sports Shoes"``, ``"Navy Blue"``); turning the customer's words into them is
delegated to a ``canonicalise(field, text)`` callable supplied by the caller (the retriever).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

Canonicaliser = Callable[[str, str], "str | None"]

# Rasa entity name -> (constraints field, retrieval vocabulary field or None for free text).
ENTITY_FIELDS: dict[str, tuple[str, str | None]] = {
    "product_type": ("product_types", "product_type"),
    "color": ("colours", "colour"),
    "gender": ("genders", "gender"),
    "brand": ("brands", "brand"),
    "size": ("sizes", "size"),
    "occasion": ("usages", "usage"),
    "season": ("seasons", "season"),
    "material": ("materials", None),
}
EXCLUDABLE = {"colours": "exclude_colours", "brands": "exclude_brands", "product_types": "exclude_product_types", "materials": "exclude_materials"}
# Words the customer uses for a kind of constraint ("any colour", "forget the brand").
ATTRIBUTE_FIELDS: dict[str, tuple[str, ...]] = {
    "colour": ("colours", "exclude_colours"), "color": ("colours", "exclude_colours"),
    "brand": ("brands", "exclude_brands"), "size": ("sizes",), "price": ("price_min", "price_max"),
    "budget": ("price_min", "price_max"), "gender": ("genders",), "season": ("seasons",),
    "occasion": ("usages",), "usage": ("usages",), "material": ("materials", "exclude_materials"),
    "type": ("product_types", "exclude_product_types"), "category": ("product_types", "exclude_product_types"),
}
# Least important first: the order in which a search without results is relaxed.
RELAXATION_ORDER = ("sizes", "seasons", "materials", "usages", "price", "brands", "colours", "genders")
FIELD_LABELS = {
    "product_types": "type", "colours": "colour", "genders": "for", "brands": "brand", "sizes": "size",
    "usages": "occasion", "seasons": "season", "materials": "material", "price": "price",
}


@dataclass
class Constraints:
    """Everything the customer has asked for so far in the current search."""

    product_types: list[str] = field(default_factory=list)
    colours: list[str] = field(default_factory=list)
    genders: list[str] = field(default_factory=list)
    brands: list[str] = field(default_factory=list)
    sizes: list[str] = field(default_factory=list)
    usages: list[str] = field(default_factory=list)
    seasons: list[str] = field(default_factory=list)
    materials: list[str] = field(default_factory=list)
    price_min: float | None = None
    price_max: float | None = None
    exclude_colours: list[str] = field(default_factory=list)
    exclude_brands: list[str] = field(default_factory=list)
    exclude_product_types: list[str] = field(default_factory=list)
    exclude_materials: list[str] = field(default_factory=list)
    # Words of the request that named no catalog value ("waterproof", "raincoat"): they steer the
    # semantic and lexical match without filtering.
    keywords: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Constraints:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in known})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def is_empty(self) -> bool:
        return not any(v for k, v in self.to_dict().items() if k != "keywords") and not self.keywords

    def query_text(self) -> str:
        """The text handed to semantic + lexical search: the customer's words in catalog terms."""
        parts = [*self.genders, *self.colours, *self.brands, *self.usages, *self.seasons, *self.materials, *self.keywords, *self.product_types]
        return " ".join(dict.fromkeys(p for p in parts if p))

    def describe(self) -> str:
        """A short human summary, shown with every result page: 'Sports Shoes · Black · Men · under $80'."""
        parts: list[str] = []
        parts += self.product_types + self.colours + self.genders + self.brands + self.usages + self.seasons + self.materials
        parts += [f"size {s}" for s in self.sizes]
        if self.price_min is not None and self.price_max is not None:
            parts.append(f"${self.price_min:g}–${self.price_max:g}")
        elif self.price_max is not None:
            parts.append(f"under ${self.price_max:g}")
        elif self.price_min is not None:
            parts.append(f"over ${self.price_min:g}")
        for name in ("exclude_colours", "exclude_brands", "exclude_product_types", "exclude_materials"):
            parts += [f"not {v}" for v in getattr(self, name)]
        parts += [f'"{k}"' for k in self.keywords]
        return " · ".join(parts) if parts else "no constraints yet"


def _parse_price(value: Any) -> float | None:
    try:
        number = float(str(value).replace(",", "").replace("$", "").strip())
    except ValueError:
        return None
    return number if number >= 0 else None


def _add_unique(values: list[str], value: str) -> list[str]:
    return values if value in values else [*values, value]


def apply_entities(constraints: Constraints, entities: Iterable[dict[str, Any]], canonicalise: Canonicaliser, *, replace: bool = True) -> Constraints:
    """Merge one message's entities into the constraints.

    Several values of one field in the same message ("black or navy") are kept together; a value in
    a later message replaces the earlier ones ("actually red") when ``replace`` is true. An entity
    with role ``exclude`` ("not Nike") moves the value to the exclusion list.
    """
    updated = Constraints.from_dict(constraints.to_dict())
    replaced: set[str] = set()
    for entity in entities:
        name, raw = entity.get("entity"), str(entity.get("value") or "").strip()
        if not raw:
            continue
        if name in ("price_min", "price_max"):
            setattr(updated, name, _parse_price(raw))
            continue
        if name not in ENTITY_FIELDS:
            continue
        target, vocabulary = ENTITY_FIELDS[name]
        value = canonicalise(vocabulary, raw) if vocabulary else raw.lower()
        if value is None:
            if entity.get("role") != "exclude" and name in ("product_type", "material"):
                updated.keywords = _add_unique(updated.keywords, raw.lower())
            continue
        if entity.get("role") == "exclude" and target in EXCLUDABLE:
            excluded = EXCLUDABLE[target]
            setattr(updated, excluded, _add_unique(getattr(updated, excluded), value))
            setattr(updated, target, [v for v in getattr(updated, target) if v != value])
            continue
        if replace and target not in replaced:
            setattr(updated, target, [])
            replaced.add(target)
        setattr(updated, target, _add_unique(getattr(updated, target), value))
        if target in EXCLUDABLE:
            excluded = EXCLUDABLE[target]
            setattr(updated, excluded, [v for v in getattr(updated, excluded) if v != value])
    if updated.price_min is not None and updated.price_max is not None and updated.price_min > updated.price_max:
        updated.price_min, updated.price_max = updated.price_max, updated.price_min
    return updated


def start_new_search(previous: Constraints, entities: list[dict[str, Any]], canonicalise: Canonicaliser) -> Constraints:
    """A fresh request drops the old constraints but keeps who the customer shops for.

    "Show me a watch" after a search for men's shoes keeps "Men" unless the new request names a
    gender itself; colour, brand, price and the rest describe the old product and are dropped.
    """
    carried = Constraints(genders=list(previous.genders))
    return apply_entities(carried, entities, canonicalise)


def remove_constraints(constraints: Constraints, entities: list[dict[str, Any]], canonicalise: Canonicaliser) -> tuple[Constraints, list[str]]:
    """Relax what the customer names: a kind ("any colour") or a value ("forget Nike")."""
    updated = Constraints.from_dict(constraints.to_dict())
    removed: list[str] = []
    for entity in entities:
        name, raw = entity.get("entity"), str(entity.get("value") or "").strip().lower()
        if name == "attribute":
            for key, targets in ATTRIBUTE_FIELDS.items():
                if key in raw:
                    for target in targets:
                        setattr(updated, target, None if target.startswith("price") else [])
                    removed.append(key)
                    break
        elif name in ("price_min", "price_max"):
            setattr(updated, name, None)
            removed.append("price")
        elif name in ENTITY_FIELDS:
            target, vocabulary = ENTITY_FIELDS[name]
            value = canonicalise(vocabulary, raw) if vocabulary else raw
            for field_name in (target, EXCLUDABLE.get(target)):
                if field_name and value in getattr(updated, field_name):
                    setattr(updated, field_name, [v for v in getattr(updated, field_name) if v != value])
                    removed.append(str(value))
    return updated, removed


def change_price(constraints: Constraints, entities: list[dict[str, Any]], shown_prices: list[float], text: str) -> Constraints:
    """Apply an explicit price range, or move it relative to what is on screen ("cheaper")."""
    updated = Constraints.from_dict(constraints.to_dict())
    explicit = [e for e in entities if e.get("entity") in ("price_min", "price_max")]
    if explicit:
        return apply_entities(updated, explicit, lambda _field, value: value)
    if not shown_prices:
        return updated
    middle = sorted(shown_prices)[len(shown_prices) // 2]
    lowered = text.lower()
    if any(word in lowered for word in ("expensive", "premium", "pricier", "higher", "better quality", "luxury")):
        updated.price_min, updated.price_max = round(middle, 2), None
    else:
        updated.price_max = round(min(middle, min(shown_prices) * 1.5) - 0.01, 2)
        if updated.price_min is not None and updated.price_min >= updated.price_max:
            updated.price_min = None
    return updated


def relax_once(constraints: Constraints) -> tuple[Constraints, str | None]:
    """Drop the least important constraint still set; returns what was dropped (None if nothing left)."""
    updated = Constraints.from_dict(constraints.to_dict())
    for name in RELAXATION_ORDER:
        if name == "price":
            if updated.price_min is not None or updated.price_max is not None:
                dropped = Constraints(price_min=updated.price_min, price_max=updated.price_max).describe()
                updated.price_min = updated.price_max = None
                return updated, dropped
            continue
        values = getattr(updated, name)
        if values:
            setattr(updated, name, [])
            return updated, f"{FIELD_LABELS[name]} {', '.join(values)}"
    if updated.keywords:
        dropped = ", ".join(updated.keywords)
        updated.keywords = []
        return updated, f'"{dropped}"'
    return updated, None
