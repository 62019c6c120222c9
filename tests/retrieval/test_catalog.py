"""Reading catalogs through mappings: counts, skipped rows with line numbers, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.catalog import read_catalog
from retrieval.errors import CatalogNotFoundError, EmptyCatalogError, MappingError
from retrieval.mapping import load_mapping

REPO = Path(__file__).resolve().parents[2]
FIXTURE_CATALOG = REPO / "tests" / "fixtures" / "tiny_catalog.csv"
DEMO_MAPPING = REPO / "retrieval" / "mappings" / "demo.yml"


def test_fixture_catalog_counts_and_skipped_lines() -> None:
    read = read_catalog(FIXTURE_CATALOG, load_mapping(DEMO_MAPPING))
    assert read.rows == 31
    assert len(read.records) == 26
    lines = {line: why for line, why in read.skipped}
    assert sorted(lines) == [12, 22, 23, 24, 27]
    assert "empty id" in lines[12]
    assert "4 fields, expected 14" in lines[22]
    assert "empty title" in lines[23]
    assert "'abc' is not a number" in lines[24]
    assert "duplicate id '1001' (first on line 2)" in lines[27]
    assert "line 12" in read.skipped_summary()


def test_record_fields_are_mapped() -> None:
    records = read_catalog(FIXTURE_CATALOG, load_mapping(DEMO_MAPPING)).records
    shoe = records["1001"]
    assert shoe["title"] == "Nike Men Black Running Sports Shoes"
    assert shoe["category"] == "Footwear > Shoes"
    assert (shoe["product_type"], shoe["colour"], shoe["gender"], shoe["brand"]) == ("Sports Shoes", "Black", "Men", "Nike")
    assert shoe["price"] == pytest.approx(89.99)
    assert shoe["sizes"] == "7|8|9|10"
    assert shoe["attributes"] == {"year": "2012"}
    assert records["1025"]["title"] == "Woodland Men Brown Outdoor Shoes, Leather"  # quoted comma
    assert records["1014"]["sizes"] is None


def test_missing_catalog_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(CatalogNotFoundError, match="--catalog"):
        read_catalog(tmp_path / "nope.csv", load_mapping(DEMO_MAPPING))


def test_missing_mapping_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogNotFoundError, match="--mapping"):
        load_mapping(tmp_path / "nope.yml")


def test_unknown_mapping_columns_are_named(tmp_path: Path) -> None:
    mapping = tmp_path / "bad.yml"
    mapping.write_text("name: bad\nfields:\n  id: id\n  title: productName\n  colour: shade\n", encoding="utf-8")
    with pytest.raises(MappingError, match=r"\['productName', 'shade'\].*Available columns"):
        read_catalog(FIXTURE_CATALOG, load_mapping(mapping))


def test_mapping_with_unknown_field_or_derivation(tmp_path: Path) -> None:
    mapping = tmp_path / "bad.yml"
    mapping.write_text("fields:\n  id: id\n  title: title\n  flavour: colour\n", encoding="utf-8")
    with pytest.raises(MappingError, match="unknown fields"):
        load_mapping(mapping)
    mapping.write_text("fields:\n  id: id\n  title: title\n  brand: {derive: magic, column: title}\n", encoding="utf-8")
    with pytest.raises(MappingError, match="unknown derive 'magic'"):
        load_mapping(mapping)


@pytest.mark.parametrize("content", ["", "id,title,gender,master_category,sub_category,product_type,colour,season,year,usage,brand,price,currency,sizes\n"])
def test_empty_catalog(tmp_path: Path, content: str) -> None:
    catalog = tmp_path / "empty.csv"
    catalog.write_text(content, encoding="utf-8")
    with pytest.raises(EmptyCatalogError):
        read_catalog(catalog, load_mapping(DEMO_MAPPING))


def test_all_rows_broken_reports_them(tmp_path: Path) -> None:
    catalog = tmp_path / "broken.csv"
    header = FIXTURE_CATALOG.read_text(encoding="utf-8").splitlines()[0]
    catalog.write_text(f"{header}\n1,,Men\n", encoding="utf-8")
    with pytest.raises(EmptyCatalogError, match="line 2"):
        read_catalog(catalog, load_mapping(DEMO_MAPPING))


def test_wrong_encoding_is_reported(tmp_path: Path) -> None:
    catalog = tmp_path / "latin1.csv"
    header = FIXTURE_CATALOG.read_text(encoding="utf-8").splitlines()[0]
    catalog.write_bytes(f"{header}\n1,Caf\xe9 Men Shirt,Men,A,B,Shirts,Red,Summer,2012,Casual,X,1.0,USD,M\n".encode("latin-1"))
    with pytest.raises(MappingError, match="csv.encoding"):
        read_catalog(catalog, load_mapping(DEMO_MAPPING))


def test_a_product_listed_again_under_another_category_is_merged_not_dropped(tmp_path: Path) -> None:
    mapping = tmp_path / "m.yml"
    mapping.write_text("name: m\ncsv: {delimiter: \";\"}\nfields: {id: sku, title: name, product_type: kind, category: [kind], price: price}\n",
                       encoding="utf-8")
    catalog = tmp_path / "c.csv"
    catalog.write_text("sku;name;kind;price\n1;PELLO;Chairs;195\n2;FRIHETEN;Beds;1995\n1;PELLO;Sofas & armchairs;195\n"
                       "2;FRIHETEN;Beds;1995\n1;PELLO;Chairs;199\n", encoding="utf-8")
    read = read_catalog(catalog, load_mapping(mapping))
    assert read.records["1"]["product_type"] == "Chairs|Sofas & armchairs" and read.records["1"]["category"] == "Chairs|Sofas & armchairs"
    assert read.records["2"]["product_type"] == "Beds" and read.merged == 2
    assert read.skipped == [(6, "duplicate id '1' (first on line 2)")]  # same product, another price: a conflict
