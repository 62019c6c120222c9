"""Each shipped mapping reads its real catalog, and a sample of each goes through a full ingestion."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.catalog import read_catalog
from retrieval.ingest import ingest
from retrieval.mapping import load_mapping
from retrieval.search import Retriever

SHARED = Path(__file__).parents[2].parent / "shared"

MAPPINGS = Path(__file__).parents[2] / "retrieval" / "mappings"
CATALOGS = SHARED / "data" / "catalogs"
CASES = [
    ("myntra", CATALOGS / "myntra_styles.csv", "Turtle Check Men Navy Blue Shirt"),
    ("ikea", CATALOGS / "ikea_sa.csv", "FREKVENS"),
    ("flipkart", CATALOGS / "flipkart_sample.csv", "Alisha Solid Women's Cycling Shorts"),
    ("demo", Path(__file__).parents[2] / "data" / "demo_catalog.csv", None),
]


@pytest.mark.parametrize(("name", "catalog", "first_title"), CASES)
def test_mapping_reads_sample(name: str, catalog: Path, first_title: str | None) -> None:
    read = read_catalog(catalog, load_mapping(MAPPINGS / f"{name}.yml"), limit=500)
    assert len(read.records) >= 480, read.skipped_summary()
    first = next(iter(read.records.values()))
    if first_title:
        assert first["title"] == first_title


def test_myntra_brand_derived_before_gender_word() -> None:
    records = read_catalog(CATALOGS / "myntra_styles.csv", load_mapping(MAPPINGS / "myntra.yml"), limit=50).records
    assert records["15970"]["brand"] == "Turtle Check"
    assert records["39386"]["brand"] == "Peter England"
    assert records["15970"]["category"] == "Apparel > Topwear"


def test_ikea_semicolons_bom_and_decimal_comma() -> None:
    records = read_catalog(CATALOGS / "ikea_sa.csv", load_mapping(MAPPINGS / "ikea.yml"), limit=50).records
    first = records["90420332"]
    assert first["price"] == pytest.approx(265.0)
    assert first["currency"] == "SAR"
    assert first["colour"] == "Black"
    assert first["description"] == "Bar table, in/outdoor, 51x51 cm"
    assert first["attributes"]["designer"] == "Nicholai Wiig Hansen"


def test_flipkart_brand_fallback_and_gender() -> None:
    records = read_catalog(CATALOGS / "flipkart_sample.csv", load_mapping(MAPPINGS / "flipkart.yml"), limit=200).records
    first = records["c2d766ca982eca8304150849735ffef9"]
    assert (first["brand"], first["gender"], first["price"], first["currency"]) == ("Alisha", "Women", 379.0, "INR")
    assert all(r["brand"] for r in records.values())


@pytest.mark.parametrize(("name", "catalog", "first_title"), CASES[:3])
def test_mapping_sample_ingests_and_searches(name: str, catalog: Path, first_title: str, tmp_path: Path, make_settings, encoder) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(catalog_path=catalog, catalog_mapping=MAPPINGS / f"{name}.yml")
    report = ingest(settings, encoder=encoder, limit=60)
    assert report.ingested >= 55
    retriever = Retriever.open(settings, query_encoder=encoder)
    hits = retriever.search(first_title, top_k=3)
    assert hits and first_title.lower() in hits[0].product.title.lower()
