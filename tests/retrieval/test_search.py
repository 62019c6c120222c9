"""Hybrid search on the tiny catalog: relevance, hard filters, similarity, lookups."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from retrieval import Filters, Retriever
from retrieval.errors import UnknownProductError
from retrieval.ingest import ingest

REPO = Path(__file__).resolve().parents[2]
FIXTURE_CATALOG = REPO / "tests" / "fixtures" / "tiny_catalog.csv"
DEMO_MAPPING = REPO / "retrieval" / "mappings" / "demo.yml"


@pytest.fixture(scope="module")
def retriever(tmp_path_factory: pytest.TempPathFactory, encoder) -> Retriever:  # type: ignore[no-untyped-def]
    from shop.settings import Settings

    settings = Settings(var_dir=tmp_path_factory.mktemp("var"), catalog_path=FIXTURE_CATALOG,
                        catalog_mapping=DEMO_MAPPING, query_encoder="torch", ingest_backend="torch")
    ingest(settings, encoder=encoder)
    return Retriever.open(settings, query_encoder=encoder)


@pytest.mark.parametrize("method", ["blend", "rrf", "semantic", "lexical"])
def test_black_running_shoes_for_men(retriever: Retriever, method: str) -> None:
    top = retriever.search("black running shoes for men", top_k=3, method=method)[0].product
    assert (top.product_type, top.colour, top.gender) == ("Sports Shoes", "Black", "Men")


@pytest.mark.parametrize(("query", "expected"), [
    ("red dress for a party", "1009"),
    ("ladies pink watch", "1015"),
    ("blue skinny jeans for women", "1013"),
    ("white kurta for men", "1018"),
    ("aviator sunglasses", "1029"),
])
def test_relevant_item_first(retriever: Retriever, query: str, expected: str) -> None:
    assert retriever.search(query, top_k=5)[0].product.id == expected


def test_hits_carry_scores_and_reasons(retriever: Retriever) -> None:
    hits = retriever.search("black running shoes for men", Filters.where(gender=["Men"]), top_k=5)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert "gender: Men" in hits[0].reasons and "colour: Black" in hits[0].reasons
    assert any(r.startswith("semantic ") for r in hits[0].reasons)


FILTER_CASES = [
    Filters.where(product_type=["Sports Shoes"]),
    Filters.where(colour=["Black"], gender=["Women"]),
    Filters.where(brand=["Nike", "Puma"], exclude={"product_type": ["Sports Shoes"]}),
    Filters.where(price_min=40, price_max=60),
    Filters.where(size=["M"], exclude={"colour": ["Black"]}),
    Filters.where(usage=["Party"], season=["Summer"]),
    Filters.where(product_type=["Sports Shoes"], exclude={"brand": ["Nike"]}, exclude_ids=["1002"]),
    Filters.where(gender=["Men"], price_max=30),
]


def _satisfies(p, f: Filters) -> bool:  # type: ignore[no-untyped-def]
    """The filter semantics written out by hand, independently of the registry-driven mask."""
    def within(value: str | None, allowed: list[str]) -> bool:
        return not allowed or (value or "").lower() in {a.lower() for a in allowed}

    genders = f.wanted("gender") + ["Unisex"] if f.wanted("gender") else []
    return (within(p.product_type, f.wanted("product_type")) and within(p.colour, f.wanted("colour"))
            and within(p.gender, genders) and within(p.brand, f.wanted("brand")) and within(p.usage, f.wanted("usage"))
            and within(p.season, f.wanted("season"))
            and (not f.wanted("size") or bool(set(p.sizes) & set(f.wanted("size"))))
            and (f.price_min is None or (p.price is not None and p.price >= f.price_min))
            and (f.price_max is None or (p.price is not None and p.price <= f.price_max))
            and p.colour not in f.unwanted("colour") and p.brand not in f.unwanted("brand")
            and p.product_type not in f.unwanted("product_type") and p.id not in f.exclude_ids)


@pytest.mark.parametrize(("filters", "query"), itertools.product(FILTER_CASES, ["black running shoes for men", "something nice"]))
def test_every_hit_satisfies_every_filter(retriever: Retriever, filters: Filters, query: str) -> None:
    hits = retriever.search(query, filters, top_k=30)
    expected = [p for p in retriever.snapshot.products if _satisfies(p, filters)]
    assert hits, "each case has matching products"
    assert all(_satisfies(h.product, filters) for h in hits)
    assert {h.product.id for h in hits} <= {p.id for p in expected}
    assert len(hits) == min(30, len(expected)) or query == "something nice"


def test_filter_with_no_match_returns_nothing(retriever: Retriever) -> None:
    assert retriever.search("shoes", Filters.where(colour=["Chartreuse"])) == []


def test_offset_pages_do_not_overlap(retriever: Retriever) -> None:
    first = retriever.search("shoes", top_k=3)
    second = retriever.search("shoes", top_k=3, offset=3)
    assert not {h.product.id for h in first} & {h.product.id for h in second}
    assert [h.product.id for h in retriever.search("shoes", top_k=6)] == [h.product.id for h in first + second]


def test_similar_excludes_itself_and_honours_filters(retriever: Retriever) -> None:
    hits = retriever.similar("1001", Filters.where(gender=["Men"]), top_k=3)
    assert "1001" not in {h.product.id for h in hits}
    assert all(h.product.gender in ("Men", "Unisex") for h in hits)
    assert hits[0].product.product_type == "Sports Shoes"
    with pytest.raises(UnknownProductError):
        retriever.similar("nope")


def test_search_by_vector_and_embedding(retriever: Retriever) -> None:
    vector = retriever.embedding("1009")
    assert vector is not None and vector.shape == (384,)
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
    assert retriever.search_by_vector(vector, top_k=1)[0].product.id == "1009"
    assert retriever.embedding("nope") is None


def test_get_and_get_many(retriever: Retriever) -> None:
    product = retriever.get("1007")
    assert product is not None and product.colour == "Navy Blue" and product.sizes == ("M", "L", "XL")
    assert [p.id for p in retriever.get_many(["1009", "missing", "1001"])] == ["1009", "1001"]
    assert retriever.get("missing") is None
