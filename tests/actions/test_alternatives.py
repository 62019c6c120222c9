"""The nearest kinds of product under the newest constraint (a small catalog and a word-count encoder)."""

from __future__ import annotations

import re

import numpy as np

from actions.alternatives import kind_text, nearest_kinds
from actions.constraints import Constraints
from retrieval import Filters, Product
from retrieval.attributes import attribute

PRODUCTS = [
    Product(id="1", title="Blue Top", product_type="Tops", gender="Women", category="Apparel > Topwear"),
    Product(id="2", title="Check Shirt", product_type="Shirts", gender="Men", category="Apparel > Topwear"),
    Product(id="3", title="Polo Tshirt", product_type="Tshirts", gender="Men", category="Apparel > Topwear"),
    Product(id="4", title="Polo Tshirt", product_type="Tshirts", gender="Unisex", category="Apparel > Topwear"),
    Product(id="5", title="Steel Watch", product_type="Watches", gender="Men", category="Accessories > Watches"),
    Product(id="6", title="Ankle Socks", product_type="Socks", gender="Men", category="Accessories > Socks"),
    Product(id="7", title="Steel Watch", product_type="Watches", gender="Women", category="Accessories > Watches"),
]
WORDS = ["apparel", "topwear", "accessories", "tops", "shirts", "tshirts", "watches", "socks"]


class WordCounts:
    """A stand-in for the MiniLM query encoder: normalised counts of a few words."""

    def encode_query(self, text: str) -> np.ndarray:
        found = re.findall(r"[a-z]+", text.lower())
        vector = np.array([found.count(w) for w in WORDS], dtype=np.float32)
        return vector / max(float(np.linalg.norm(vector)), 1e-9)


class Catalog:
    """The two calls of the retriever the alternatives use: facets and the query encoder."""

    query_encoder = WordCounts()

    def facets(self, name: str, filters: Filters | None = None, *, top: int | None = None) -> list[tuple[str, int]]:
        counts: dict[str, int] = {}
        for product in PRODUCTS:
            if all(set(attribute(n).values_of(product)) & {*wanted, *attribute(n).always_included}
                   for n, wanted in (filters.include if filters else {}).items() if wanted):
                for value in attribute(name).values_of(product):
                    counts[value] = counts.get(value, 0) + 1
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]


def test_the_kinds_for_men_closest_to_tops_come_first() -> None:
    catalog = Catalog()
    tops_for_men = Constraints(wanted={"product_type": ["Tops"], "gender": ["Men"]})
    assert nearest_kinds(catalog, tops_for_men) == ["Tshirts", "Shirts"]  # equally close: the better stocked first
    assert nearest_kinds(catalog, tops_for_men, top=3)[2] in ("Watches", "Socks")


def test_no_kind_asked_for_or_nothing_else_meeting_the_rest_gives_none() -> None:
    assert nearest_kinds(Catalog(), Constraints(wanted={"gender": ["Men"]})) == []
    assert nearest_kinds(Catalog(), Constraints(wanted={"product_type": ["Tops"], "colour": ["Purple"]})) == []


def test_a_kind_is_read_with_its_category_path() -> None:
    assert kind_text(Catalog(), "Tops") == "Apparel > Topwear > Tops"
    assert kind_text(Catalog(), "Watches") == "Accessories > Watches"
    assert kind_text(Catalog(), "Sofas") == "Sofas"
