"""Each shipped mapping reads its real catalog, and a sample of each goes through a full ingestion."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

import retrieval.mapping as mapping_module
from retrieval.attributes import attribute
from retrieval.catalog import read_catalog
from retrieval.errors import MappingError
from retrieval.filtering import AttributeTable
from retrieval.ingest import ingest
from retrieval.mapping import DERIVATIONS, FIELDS, SPEC_OPTIONS, load_mapping, parse_pairs
from retrieval.search import Retriever
from retrieval.types import Filters, Product
from retrieval.vocabulary import Vocabulary

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


# --- structured fields, units, paths, the template ---------------------------------------------------------

FLIPKART_RAW = CATALOGS / "flipkart_full_columns_1k.csv"
TEMPLATE = MAPPINGS / "TEMPLATE.yml"


def _write_mapping(tmp_path: Path, body: str, *, csv: str = "") -> Path:
    path = tmp_path / "shop.yml"
    path.write_text(f"name: shop\n{csv}fields:\n  id: id\n  title: title\n{body}", encoding="utf-8")
    return path


def _read(tmp_path: Path, mapping: str, rows: str, *, csv: str = "") -> dict[str, dict]:
    catalog = tmp_path / "shop.csv"
    catalog.write_text(rows, encoding="utf-8")
    return read_catalog(catalog, load_mapping(_write_mapping(tmp_path, mapping, csv=csv))).records


@pytest.mark.parametrize(("text", "expected"), [
    ("color : white|material : oak|width : 90 cm", {"color": "white", "material": "oak", "width": "90 cm"}),
    ("Color=Red; Ideal  For : Women's;machine wash; note: a:b", {"color": "Red", "ideal for": "Women's", "note": "a:b"}),
    ('{"product_specification"=>[{"key"=>"Fabric", "value"=>"Cotton"}, {"key"=>"Color", "value"=>"Blue"}, '
     '{"value"=>"no key"}]}', {"fabric": "Cotton", "color": "Blue"}),
    ('{"product_specification"=>[{"key"=>"Size", "value"=>"19\\" x 4\\""}, {"key"=>"size", "value"=>"later"}]}',
     {"size": '19" x 4"'}),
    ("", {}),
])
def test_parse_pairs_reads_both_structured_formats(text: str, expected: dict[str, str]) -> None:
    assert parse_pairs(text) == expected


def test_parse_pairs_separators_can_be_fixed() -> None:
    assert parse_pairs("a=1|2, b=3", pairs=",", sep="=") == {"a": "1|2", "b": "3"}
    assert parse_pairs("Care: wash | rinse; Fit: slim", pairs=";", sep=":") == {"care": "wash | rinse", "fit": "slim"}


def test_key_extracts_from_a_structured_column(tmp_path: Path) -> None:
    records = _read(tmp_path, "  colour: {column: features, key: COLOR}\n  brand: {column: features, key: [maker, brand]}\n"
                              "attributes:\n  material: {column: features, key: material}\n"
                              "  width: {column: features, key: width, unit: cm}\n",
                    'id,title,features\n1,Desk,"color : white|material : oak|width : 90"\n2,Lamp,brand=Lumo;shade=paper\n'
                    "3,Rug,\n")
    assert (records["1"]["colour"], records["1"]["brand"]) == ("white", None)
    assert records["1"]["attributes"] == {"material": "oak", "width": "90 cm"}
    assert (records["2"]["colour"], records["2"]["brand"], records["2"]["attributes"]) == (None, "Lumo", {})
    assert records["3"]["attributes"] == {}


@pytest.mark.skipif(not FLIPKART_RAW.is_file(), reason="shared Flipkart files absent")
def test_key_reads_flipkart_product_specifications(tmp_path: Path) -> None:
    """The raw Flipkart column (``{"key"=>..., "value"=>...}`` lists) read with ``key:`` on real rows."""
    spec = "{column: product_specifications, key: %s}"
    mapping_text = ("fields:\n  id: uniq_id\n  title: product_name\n  colour: " + spec % "color" + "\n"
                    "attributes:\n  material: " + spec % "[material, fabric, outer material]" + "\n"
                    "  ideal_for: " + spec % "Ideal For" + "\n")
    mapping = tmp_path / "raw.yml"
    mapping.write_text(mapping_text, encoding="utf-8")
    records = read_catalog(FLIPKART_RAW, load_mapping(mapping)).records
    assert records["f449ec65dcbc041b6ae5e6a32717d01b"]["colour"] == "Red"  # AW Bellies
    assert records["f449ec65dcbc041b6ae5e6a32717d01b"]["attributes"]["material"] == "Patent Leather"
    shorts = records["c2d766ca982eca8304150849735ffef9"]
    assert shorts["attributes"] == {"material": "Cotton Lycra", "ideal_for": "Women's"} and shorts["colour"] is None
    with FLIPKART_RAW.open(encoding="utf-8-sig", newline="") as handle:
        raw = {row["uniq_id"]: row["product_specifications"] for row in csv.DictReader(handle)}
    named = {uid for uid, text in raw.items() if re.search(r'"key"=>"Color", "value"=>"[^"]', text)}
    assert {uid for uid, r in records.items() if r["colour"]} == named and len(named) > 300


def test_units_are_kept_with_numbers(tmp_path: Path) -> None:
    attributes = "attributes:\n  width: {column: width, unit: cm}\n  weight: {column: weight, unit: \" kg \"}\n"
    records = _read(tmp_path, attributes, 'id;title;width;weight\n1;A;90,5;1.200\n2;B;90;\n3;C;;2\n4;D;19 inch / 50 cm;0,0\n',
                    csv='csv: {delimiter: ";", decimal: ","}\n')
    assert records["1"]["attributes"] == {"width": "90.5 cm", "weight": "1200 kg"}
    assert records["2"]["attributes"] == {"width": "90 cm"}
    assert records["3"]["attributes"] == {"weight": "2 kg"}
    assert records["4"]["attributes"] == {"width": "19 inch / 50 cm", "weight": "0 kg"}  # not a number: as written
    dotted = _read(tmp_path, attributes, "id,title,width,weight\n1,A,90.50,\n")
    assert dotted["1"]["attributes"] == {"width": "90.5 cm"}


def test_slash_path_is_filterable_at_a_middle_level(tmp_path: Path) -> None:
    """A Wayfair-style " / " tree: every level's prefix is a value, and a level's own name finds it."""
    records = _read(tmp_path, '  category: {column: tree, path: " / "}\n',
                    "id,title,tree\n1,Armchair,Furniture / Living Room Furniture / Accent Chairs\n"
                    "2,Bed,Furniture / Bedroom Furniture / Beds\n3,Table,Outdoor / Patio Tables\n4,Tent,in/outdoor\n")
    assert records["1"]["category"] == "Furniture > Living Room Furniture > Accent Chairs"
    assert records["4"]["category"] == "in/outdoor"  # a slash without spaces is no separator
    products = [Product(id=pid, title=r["title"], category=r["category"]) for pid, r in records.items()]
    table = AttributeTable.from_products(np.arange(len(products)), products)
    values = [v for p in products for v in attribute("category").values_of(p)]
    vocabulary = Vocabulary({"category": values})
    (middle,) = vocabulary.canonical_values("category", "living room furniture")
    assert middle == "Furniture > Living Room Furniture"
    for wanted, expected in [(["Furniture"], [True, True, False, False]), ([middle], [True, False, False, False]),
                             (["Outdoor > Patio Tables"], [False, False, True, False])]:
        mask = table.mask(Filters.where(category=wanted))
        assert mask is not None and mask.tolist() == expected, wanted
    excluded = table.mask(Filters.where(exclude={"category": [middle]}))
    assert excluded is not None and excluded.tolist() == [False, True, True, True]


_BAD_SPECS = [
    ("  colour: {key: color}\n", "field 'colour' needs 'column' or 'value'"),
    ("  colour: {column: f, key: color, split: \"|\", path: \" / \"}\n", "combines ['path', 'split']"),
    ("  category: {column: f, split: \"|\", path: \" / \"}\n", "combines ['path', 'split']"),
    ("  brand: {column: f, split: \"|\"}\n", "field 'brand' cannot hold several values; 'split' is for the fields"),
    ("  colour: {column: f, key: \"\"}\n", "field 'colour' needs a key name"),
    ("  colour: {column: f, key: [color, 3]}\n", "field 'colour' needs a key name"),
    ("  colour: {column: f, pairs: \";\"}\n", "field 'colour' sets 'pairs'/'sep' without a 'key'"),
    ("  colour: {column: f, key: color, sep: \"\"}\n", "field 'colour' needs a non-empty text in 'sep'"),
    ("  colour: {column: f, split: 3}\n", "field 'colour' needs a non-empty text in 'split'"),
    ("  colour: {colum: f}\n", "field 'colour' has unknown options ['colum']"),
    ("  colour: {value: Red, column: f}\n", "field 'colour' combines 'value'"),
    ("  colour: {column: f, stop: [Men]}\n", "field 'colour' sets 'stop', which only derive: words_before reads"),
    ("  colour: {derive: match_words, column: f}\n", "field 'colour' derives match_words without a 'values' dictionary"),
    ("  brand: {derive: first_words, column: f, count: 0}\n", "field 'brand' needs a positive whole number in 'count'"),
    ("  colour: {column: f, fallback: {column: g, key: [], derive: first_words}}\n", "field 'colour' needs a key name"),
    ("  description: {column: f, unit: cm}\n", "field 'description' uses 'unit', which is for attributes"),
    ("attributes:\n  width: {column: w, unit: 90}\n", "attribute 'width' needs a non-empty text in 'unit'"),
    ("attributes:\n  width: {column: w, unit: cm, split: \",\"}\n", "attribute 'width' combines ['split', 'unit']"),
    ("attributes:\n  tags: {column: t, split: \",\"}\n", "attribute 'tags' cannot hold several values"),
    ("attributes:\n  material: {key: material}\n", "attribute 'material' needs 'column' or 'value'"),
    ("attributes:\n  material: 7\n", None),  # a column named 7: allowed, as before
    ("attributes: 7\n", "'attributes' must be a dictionary"),
]


@pytest.mark.parametrize(("body", "message"), _BAD_SPECS)
def test_spec_mistakes_are_one_line_errors_naming_file_and_field(tmp_path: Path, body: str, message: str | None) -> None:
    path = _write_mapping(tmp_path, body)
    if message is None:
        assert load_mapping(path).attributes == {"material": "7"}
        return
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    text = str(caught.value)
    assert message in text and str(path) in text and "\n" not in text


def _docstring_kinds() -> set[str]:
    """Spec kinds the module docstring names: each option of its ``{...}`` examples, each derivation, str and list."""
    doc = mapping_module.__doc__ or ""
    kinds = set()
    for span in re.findall(r"``(.+?)``", doc[doc.index("A field\nspec is one of"):doc.index("``attributes:`` keeps")]):
        try:
            parsed = yaml.safe_load(span)
        except yaml.YAMLError:
            continue
        kinds |= _kinds(parsed) if isinstance(parsed, (dict, list)) or span.startswith('"') else set()
    return kinds


def _kinds(spec: object) -> set[str]:
    if isinstance(spec, str):
        return {"column name"}
    if isinstance(spec, list):
        return {"list of columns"}
    assert isinstance(spec, dict)
    kinds = {str(option) for option in spec} | ({f"derive: {spec['derive']}"} if "derive" in spec else set())
    return kinds | (_kinds(spec["fallback"]) if "fallback" in spec else set())


def test_template_loads_and_shows_every_spec_kind() -> None:
    mapping = load_mapping(TEMPLATE)
    raw = yaml.safe_load(TEMPLATE.read_text(encoding="utf-8"))
    shown = set().union(*(_kinds(spec) for spec in [*raw["fields"].values(), *raw["attributes"].values()]))
    named = _docstring_kinds()
    assert set(SPEC_OPTIONS) | {f"derive: {d}" for d in DERIVATIONS} | {"column name", "list of columns"} <= named
    assert named <= shown, sorted(named - shown)
    assert set(raw["csv"]) == {"delimiter", "encoding", "decimal"} and set(raw["fields"]) == set(FIELDS)
    commented = [line for line in TEMPLATE.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert all("#" in line for line in commented), [line for line in commented if "#" not in line]
    assert mapping.decimal == "," and mapping.delimiter == ";"


def test_template_reads_the_export_it_describes(tmp_path: Path) -> None:
    header = "sku;name;class;category_path;features;specifications;brand;price;sizes;description;image;designer;" \
             "main_category;sub_category;width"
    row = ('A1;Ivory Lounge Chair;Teen Lounge Furniture | Accent Chairs;Furniture / Living Room / Chairs;'
           '"season : winter|room : living room|fabric : boucle";'
           '"{""product_specification""=>[{""key""=>""Ideal For"", ""value""=>""Women\'s""}]}";;'
           "1.299,50;S, M , L;Soft chair;http://x/a.jpg;Ada;Furniture;Chairs;90,5")
    catalog = tmp_path / "export.csv"
    catalog.write_text(f"{header}\n{row}\n", encoding="utf-8")
    record = read_catalog(catalog, load_mapping(TEMPLATE)).records["A1"]
    assert record["product_type"] == "Teen Lounge Furniture|Accent Chairs"
    assert record["category"] == "Furniture > Living Room > Chairs"
    assert (record["colour"], record["gender"], record["brand"]) == ("White", "Women", "Ivory")  # fallbacks and derives
    assert (record["season"], record["usage"], record["sizes"], record["price"]) == ("winter", "living room", "S|M|L", 1299.5)
    assert record["attributes"] == {"designer": "Ada", "department": "Furniture > Chairs", "material": "boucle",
                                    "width": "90.5 cm", "series": "Ivory Lounge"}


@pytest.mark.skipif(not (CATALOGS / "flipkart_names_categories_20k.csv").is_file(), reason="shared Flipkart files absent")
def test_flipkart_full_reads_its_specifications(tmp_path: Path) -> None:
    from benchmarks.flipkart_catalog import join, write

    records = read_catalog(write(join(), tmp_path / "joined.csv"), load_mapping(MAPPINGS / "flipkart_full.yml")).records
    bellies = records["f449ec65dcbc041b6ae5e6a32717d01b"]  # AW Bellies: no gender word in its name
    assert bellies["gender"] == "Women"  # from "Ideal For: Women"
    assert {k: bellies["attributes"].get(k) for k in ("colour", "material", "ideal_for")} == {
        "colour": "Red", "material": "Patent Leather", "ideal_for": "Women"}
    shorts = records["c2d766ca982eca8304150849735ffef9"]["attributes"]
    assert (shorts["material"], shorts["pattern"], shorts["ideal_for"]) == ("Cotton Lycra", "Solid", "Women's")
    counts = {key: sum(1 for r in records.values() if r["attributes"].get(key)) for key in ("colour", "material", "pattern")}
    assert counts["colour"] > 300 and counts["material"] > 700 and counts["pattern"] > 400
    assert all(r["colour"] is None for r in records.values())  # too sparse for a hard filter: an attribute
