"""Descriptions are searched: by keyword (their own BM25 field) and by meaning (embedded after the title).

A small furniture catalog whose titles are family names, as in many real shops: what a product is
and does is said only in its description.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from retrieval import Retriever
from retrieval.errors import IndexMismatchError
from retrieval.ingest import ingest
from shop.settings import Settings

ROWS = [
    ("f1", "BRIMNES", "Wardrobe with 3 doors and a mirror, white"),
    ("f2", "KALLAX", "Shelving unit with eight square compartments, oak effect"),
    ("f3", "MALM", "Chest of 6 drawers, black-brown, with smooth running drawers"),
    ("f4", "NORDEN", "Gateleg table that folds flat against the wall to save space, birch"),
    ("f5", "POANG", "Armchair with a layer-glued bent birch frame and a washable cushion"),
    ("f6", "LACK", "Side table, light and easy to move, white"),
    ("f7", "HEMNES", "Day-bed frame with 3 drawers, doubles as a sofa by day"),
    ("f8", "BILLY", "Bookcase with adjustable shelves, white"),
]
MAPPING = """name: furniture
csv: {delimiter: ";"}
fields:
  id: sku
  title: name
  description: text
  price: {value: "100"}
"""


@pytest.fixture
def furniture(tmp_path: Path, make_settings: Callable[..., Settings]) -> Callable[..., Settings]:
    catalog, mapping = tmp_path / "furniture.csv", tmp_path / "furniture.yml"
    catalog.write_text("sku;name;text\n" + "".join(f"{sku};{name};{text}\n" for sku, name, text in ROWS), encoding="utf-8")
    mapping.write_text(MAPPING, encoding="utf-8")
    return lambda **overrides: make_settings(catalog_path=catalog, catalog_mapping=mapping, **overrides)


@pytest.mark.parametrize("method", ["lexical", "semantic", "blend"])
def test_a_phrase_only_in_one_description_finds_that_product(furniture: Callable[..., Settings], encoder, method: str) -> None:  # type: ignore[no-untyped-def]
    settings = furniture()
    ingest(settings, encoder=encoder)
    retriever = Retriever.open(settings, query_encoder=encoder)
    for query, expected in (("table that folds against the wall", "f4"), ("washable cushion armchair", "f5"),
                            ("bed that doubles as a sofa", "f7")):
        assert [h.product.id for h in retriever.search(query, top_k=1, method=method)] == [expected], (query, method)


def test_without_descriptions_the_same_phrases_are_lost(furniture: Callable[..., Settings], encoder) -> None:  # type: ignore[no-untyped-def]
    settings = furniture(description_words=0, description_weight=0.0)
    ingest(settings, encoder=encoder)
    retriever = Retriever.open(settings, query_encoder=encoder)
    assert retriever.search("table that folds against the wall", top_k=3, method="lexical") == []
    assert "f4" not in [h.product.id for h in retriever.search("gateleg table", top_k=1)]


def test_a_word_used_only_in_descriptions_is_not_corrected_into_a_title_word(furniture: Callable[..., Settings], encoder) -> None:  # type: ignore[no-untyped-def]
    settings = furniture()
    ingest(settings, encoder=encoder)
    retriever = Retriever.open(settings, query_encoder=encoder)
    assert retriever.known_word("washable") == "washable" and retriever.known_word("washabel") == "washable"


def test_changing_what_is_embedded_rebuilds_the_index(furniture: Callable[..., Settings], encoder) -> None:  # type: ignore[no-untyped-def]
    ingest(furniture(description_words=32), encoder=encoder)
    changed = furniture(description_words=8)
    with pytest.raises(IndexMismatchError, match="description32"):
        Retriever.open(changed, query_encoder=encoder)
    assert ingest(changed, encoder=encoder).reindexed
    assert Retriever.open(changed, query_encoder=encoder).search("gateleg table", top_k=1)[0].product.id == "f4"
