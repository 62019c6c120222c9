"""Several product types or colours in one catalog field: each is a value of its own for filters and facets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retrieval.attributes import attribute
from retrieval.catalog import read_catalog
from retrieval.errors import MappingError
from retrieval.filtering import AttributeTable
from retrieval.ingest import ingest
from retrieval.mapping import load_mapping
from retrieval.search import Retriever
from retrieval.types import Filters, Product

CATALOG = """id,title,class,colours,tree
1,Nook Lounge Chair,Teen Lounge Furniture | Accent Chairs,Black|White,Furniture / Living Room Furniture / Chairs
2,Oslo Armchair,Accent Chairs,Grey,Furniture / Living Room Furniture / Chairs
3,Pod Bean Bag,Teen Lounge Furniture,Black,Furniture / Kids Furniture
4,Atlas Desk,Desks,,Furniture / Office Furniture
5,Luna Floor Lamp,Floor Lamps|,White | Brass,Lighting / Floor Lamps
"""
MAPPING = """name: multi
fields:
  id: id
  title: title
  product_type: {column: class, split: "|"}
  colour: {column: colours, split: "|"}
  category: {column: tree, path: " / "}
"""


@pytest.fixture
def catalog(tmp_path: Path) -> tuple[Path, Path]:
    csv_path, mapping = tmp_path / "multi.csv", tmp_path / "multi.yml"
    csv_path.write_text(CATALOG, encoding="utf-8")
    mapping.write_text(MAPPING, encoding="utf-8")
    return csv_path, mapping


def _products(catalog: tuple[Path, Path]) -> list[Product]:
    records = read_catalog(catalog[0], load_mapping(catalog[1])).records
    return [Product(id=pid, title=r["title"], product_type=r["product_type"], colour=r["colour"], category=r["category"])
            for pid, r in records.items()]


def test_split_fields_are_stored_joined_and_read_back_as_values(catalog: tuple[Path, Path]) -> None:
    records = read_catalog(catalog[0], load_mapping(catalog[1])).records
    assert records["1"]["product_type"] == "Teen Lounge Furniture|Accent Chairs"  # spaces trimmed
    assert (records["5"]["product_type"], records["5"]["colour"], records["4"]["colour"]) == ("Floor Lamps", "White|Brass", None)
    nook = _products(catalog)[0]
    kind, colour = attribute("product_type"), attribute("colour")
    assert kind.values_of(nook) == ("Teen Lounge Furniture", "Accent Chairs")
    assert colour.values_of(nook) == ("Black", "White")
    assert (kind.display(nook), colour.display(nook)) == ("Teen Lounge Furniture, Accent Chairs", "Black, White")


def test_filters_match_any_listed_value(catalog: tuple[Path, Path]) -> None:
    products = _products(catalog)
    table = AttributeTable.from_products(np.arange(len(products)), products)
    assert "product_type" in table.multi and "colour" in table.multi  # several values: value -> positions

    def allowed(filters: Filters) -> list[str]:
        mask = table.mask(filters)
        assert mask is not None
        return [p.id for p, keep in zip(products, mask, strict=True) if keep]

    assert allowed(Filters.where(product_type=["Accent Chairs"])) == ["1", "2"]
    assert allowed(Filters.where(product_type=["teen lounge furniture"])) == ["1", "3"]
    assert allowed(Filters.where(colour=["White"])) == ["1", "5"]
    assert allowed(Filters.where(product_type=["Accent Chairs"], exclude={"colour": ["Black"]})) == ["2"]
    assert allowed(Filters.where(exclude={"product_type": ["Teen Lounge Furniture"]})) == ["2", "4", "5"]
    assert allowed(Filters.where(category=["Furniture > Living Room Furniture"])) == ["1", "2"]


def test_single_values_keep_the_integer_coded_column() -> None:
    """A catalog with one type per product keeps the coded column that boosts and learned preferences read."""
    products = [Product(id="a", title="x", product_type="Shirts", colour="Blue"), Product(id="b", title="y", product_type="Jeans")]
    table = AttributeTable.from_products(np.arange(2), products)
    assert "product_type" in table.codes and "colour" in table.codes and "product_type" not in table.multi
    mask = table.mask(Filters.where(product_type=["jeans"]))
    assert mask is not None and mask.tolist() == [False, True]


def test_split_is_refused_on_single_valued_fields(tmp_path: Path) -> None:
    mapping = tmp_path / "m.yml"
    mapping.write_text(MAPPING.replace("  title: title\n", '  title: title\n  brand: {column: class, split: "|"}\n'))
    with pytest.raises(MappingError, match=r"field 'brand' cannot hold several values; 'split' is for the fields \['category', 'colour', 'product_type', 'sizes'\]"):
        load_mapping(mapping)


def test_search_facets_and_vocabulary_treat_each_value_separately(catalog: tuple[Path, Path], make_settings, encoder) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(catalog_path=catalog[0], catalog_mapping=catalog[1])
    assert ingest(settings, encoder=encoder).ingested == 5
    retriever = Retriever.open(settings, query_encoder=encoder)

    hits = retriever.search("chair", Filters.where(product_type=["Accent Chairs"]), top_k=5)
    assert sorted(h.product.id for h in hits) == ["1", "2"]
    nook = next(h for h in hits if h.product.id == "1")
    assert "type: Accent Chairs" in nook.reasons  # the matched value, not the stored "a|b"
    assert retriever.facets("product_type") == [("Accent Chairs", 2), ("Teen Lounge Furniture", 2), ("Desks", 1), ("Floor Lamps", 1)]
    assert retriever.facets("colour") == [("Black", 2), ("White", 2), ("Brass", 1), ("Grey", 1)]
    assert retriever.facets("colour", Filters.where(product_type=["Teen Lounge Furniture"])) == [("Black", 2), ("White", 1)]
    assert retriever.vocabulary.canonical_values("product_type", "accent chair") == ["Accent Chairs"]
    assert retriever.vocabulary.canonical_values("colour", "brass") == ["Brass"]
    assert all("|" not in value for values in retriever.vocabulary.values.values() for value in values)
