"""Value types of the retrieval API: what callers (the action server, the web app) see.

They are plain frozen dataclasses rather than ORM rows so they can cross thread and process
boundaries, be cached, and be compared in tests without a database session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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

    Lists hold canonical catalog values (see ``Retriever.canonicalise``); an empty list means
    "no constraint". Values within one list are alternatives (OR); different fields combine with AND.
    """

    product_types: list[str] = field(default_factory=list)
    colours: list[str] = field(default_factory=list)
    genders: list[str] = field(default_factory=list)
    brands: list[str] = field(default_factory=list)
    sizes: list[str] = field(default_factory=list)
    usages: list[str] = field(default_factory=list)
    seasons: list[str] = field(default_factory=list)
    price_min: float | None = None
    price_max: float | None = None
    exclude_colours: list[str] = field(default_factory=list)
    exclude_brands: list[str] = field(default_factory=list)
    exclude_product_types: list[str] = field(default_factory=list)
    exclude_ids: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        """True when no field constrains anything (the search can skip masking entirely)."""
        return not any(
            (
                self.product_types, self.colours, self.genders, self.brands, self.sizes,
                self.usages, self.seasons, self.exclude_colours, self.exclude_brands,
                self.exclude_product_types, self.exclude_ids,
            )
        ) and self.price_min is None and self.price_max is None


@dataclass
class Hit:
    """A ranked product with its score and the human-readable reasons it was chosen."""

    product: Product
    score: float
    reasons: list[str] = field(default_factory=list)
