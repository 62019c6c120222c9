"""Value types of the retrieval API: what callers (the action server, the web app) see.

They are plain frozen dataclasses rather than ORM rows so they can cross thread and process
boundaries, be cached, and be compared in tests without a database session.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from retrieval.attributes import attribute


@dataclass(frozen=True)
class Product:
    """One catalog item as shown to a customer."""

    id: str
    title: str
    product_type: str | None = None
    category: str | None = None
    colour: str | None = None
    gender: str | None = None
    brand: str | None = None
    price: float | None = None
    currency: str | None = None
    season: str | None = None
    usage: str | None = None
    sizes: tuple[str, ...] = ()
    description: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    image_url: str | None = None


@dataclass
class Filters:
    """Hard constraints: every returned hit satisfies all of them.

    ``include`` and ``exclude`` map a registered attribute name (``retrieval.attributes``) to
    canonical catalog values (see ``Retriever.canonical_values``). Values of one attribute are
    alternatives (OR); different attributes combine with AND; a missing or empty list means "no
    constraint". ``Filters.where(colour=["Black"], exclude={"brand": ["Nike"]}, price_max=50)``
    builds one in a line.
    """

    include: dict[str, list[str]] = field(default_factory=dict)
    exclude: dict[str, list[str]] = field(default_factory=dict)
    price_min: float | None = None
    price_max: float | None = None
    exclude_ids: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for name in (*self.include, *self.exclude):
            attribute(name)  # a misspelt attribute must fail loudly, not filter nothing

    @classmethod
    def where(cls, *, exclude: dict[str, list[str]] | None = None, price_min: float | None = None,
              price_max: float | None = None, exclude_ids: list[str] | None = None, **include: list[str]) -> Filters:
        """Keyword form: each keyword is an attribute name and its allowed values."""
        return cls(include={k: list(v) for k, v in include.items()}, exclude={k: list(v) for k, v in (exclude or {}).items()},
                   price_min=price_min, price_max=price_max, exclude_ids=list(exclude_ids or []))

    def wanted(self, name: str) -> list[str]:
        """Allowed values of one attribute (empty: unconstrained)."""
        return self.include.get(name) or []

    def unwanted(self, name: str) -> list[str]:
        """Excluded values of one attribute."""
        return self.exclude.get(name) or []

    def excluding_ids(self, ids: list[str]) -> Filters:
        """A copy that also leaves out the given product ids."""
        return replace(self, include=dict(self.include), exclude=dict(self.exclude),
                       exclude_ids=list(dict.fromkeys([*self.exclude_ids, *ids])))

    def is_empty(self) -> bool:
        """True when no field constrains anything (the search can skip masking entirely)."""
        return (not any(self.include.values()) and not any(self.exclude.values()) and not self.exclude_ids
                and self.price_min is None and self.price_max is None)


@dataclass
class Hit:
    """A ranked product with its score and the human-readable reasons it was chosen."""

    product: Product
    score: float
    reasons: list[str] = field(default_factory=list)
