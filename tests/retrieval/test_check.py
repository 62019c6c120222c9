"""``python -m retrieval check``: a mapping tried on real files, reported line by line, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrieval.__main__ import main
from retrieval.errors import MappingError
from retrieval.mapping import load_mapping

HEADER = "sku,name,colour,gender,brand,price"
GOOD_ROWS = [
    "A1,Blue Denim Jacket,Blue,Women,Levis,59.90",
    "A2,Black Leather Boots,Black,Men,Clarks,120.00",
    "A3,Red Summer Dress,Red,Women,Zara,39.50",
    "A4,White Sneakers,,Men,Nike,89.99",
    "A5,Grey Hoodie,Grey,,Uniqlo,29.90",
    "A6,Green Scarf,Green,Women,,15.00",
]
MAPPING = "name: mine\n{csv}fields:\n  id: sku\n  title: name\n  colour: {colour}\n  gender: gender\n  brand: brand\n  price: price\n"


def _files(tmp_path: Path, rows: list[str], *, header: str = HEADER, delimiter: str = ",", csv: str = "",
           colour: str = "colour", encoding: str = "utf-8") -> tuple[Path, Path]:
    catalog = tmp_path / "shop.csv"
    lines = [header, *rows]
    catalog.write_text("\n".join(line.replace(",", delimiter) for line in lines) + "\n", encoding=encoding)
    mapping = tmp_path / "shop.yml"
    mapping.write_text(MAPPING.format(csv=csv, colour=colour), encoding="utf-8")
    return catalog, mapping


def _check(catalog: Path, mapping: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["check", "--catalog", str(catalog), "--mapping", str(mapping)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return code, captured.out


def test_good_catalog_previews_products_and_coverage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _check(*_files(tmp_path, GOOD_ROWS), capsys)
    assert code == 0
    assert "error:" not in out and "warning:" not in out
    assert "Preview (5 of 6 products mapped from 6 rows):" in out
    assert "[A1] Blue Denim Jacket | colour Blue | gender Women | brand Levis | price 59.90" in out
    assert "[A6]" not in out  # five previewed
    assert "colour                      83.3%" in out and "price                      100.0%" in out
    assert "not mapped: product_type, category, currency" in out
    assert out.rstrip().splitlines()[-1].startswith("OK: the mapping is usable")
    assert not (tmp_path / "var").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["shop.csv", "shop.yml"]


def test_single_quoted_tab_is_refused_with_the_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    catalog, mapping = _files(tmp_path, GOOD_ROWS, delimiter="\t", csv="csv: {delimiter: '\\t'}\n")
    with pytest.raises(MappingError, match=r'use delimiter: "\\t" in double quotes; in single quotes YAML keeps the backslash'):
        load_mapping(mapping)
    code, out = _check(catalog, mapping, capsys)
    assert code == 2
    assert "delimiter '\\t' has 2 characters, it must have exactly one" in out
    assert 'use delimiter: "\\t" in double quotes' in out


def test_double_quoted_tab_reads_the_tab_separated_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _check(*_files(tmp_path, GOOD_ROWS, delimiter="\t", csv='csv: {delimiter: "\\t"}\n'), capsys)
    assert code == 0 and "Preview (5 of 6" in out


def test_tab_separated_file_read_with_commas_names_the_delimiter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _check(*_files(tmp_path, GOOD_ROWS, delimiter="\t"), capsys)
    assert code == 2
    errors = [line for line in out.splitlines() if line.startswith("error:")]
    assert len(errors) == 1  # the delimiter, not a list of "unknown" columns that follow from it
    assert "the file seems tab-separated" in errors[0]
    assert 'use delimiter: "\\t" in double quotes; in single quotes YAML keeps the backslash' in errors[0]


def test_semicolon_file_suggests_a_semicolon(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _check(*_files(tmp_path, [r.replace(".", ",") for r in GOOD_ROWS], delimiter=";"), capsys)
    assert code == 2 and 'semicolon-separated: under csv: in shop.yml, use delimiter: ";"' in out


def test_latin1_file_suggests_an_encoding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [*GOOD_ROWS, "A7,Café Crème Sweater,Beige,Women,Maison,45.00"]
    code, out = _check(*_files(tmp_path, rows, encoding="latin-1"), capsys)
    assert code == 2
    (error,) = [line for line in out.splitlines() if line.startswith("error:")]
    assert "Encoding: shop.csv is not utf-8-sig (byte 0xe9" in error
    assert "set encoding: cp1252 under csv: in shop.yml" in error and "latin-1" in error
    code, out = _check(*_files(tmp_path, rows, encoding="latin-1", csv="csv: {encoding: cp1252}\n"), capsys)
    assert code == 0 and "Preview (5 of 7" in out


def test_missing_column_lists_the_available_ones(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _check(*_files(tmp_path, GOOD_ROWS, colour="color"), capsys)
    assert code == 2
    assert "error: Unknown columns ['color'] (used by colour); the file has: sku, name, colour, gender, brand, price." in out
    assert "Preview (5 of 6" in out  # the rest of the mapping is still shown
    assert "NOT USABLE" in out


def test_missing_required_column_stops(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    catalog, mapping = _files(tmp_path, GOOD_ROWS)
    mapping.write_text(mapping.read_text().replace("id: sku", "id: product_code"))
    code, out = _check(catalog, mapping, capsys)
    assert code == 2 and "Unknown columns ['product_code'] (used by id)" in out and "Preview" not in out


def test_bad_prices_are_counted_with_examples(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [*GOOD_ROWS, "B1,Wool Hat,Red,Men,Acme,$12.00", "B2,Silk Tie,Blue,Men,Acme,N/A", "B3,Belt,Brown,Men,Acme,call us",
            "B4,Socks,White,Men,Acme,ask", "B5,Cap,Blue,Men,Acme,7,50"]
    catalog, mapping = _files(tmp_path, [])
    catalog.write_text("\n".join([HEADER, *rows[:-1], 'B5,Cap,Blue,Men,Acme,"7,50"']) + "\n", encoding="utf-8")
    code, out = _check(catalog, mapping, capsys)
    assert code == 0  # usable: the other rows map
    assert "warning: Prices: 4 of 11 sampled prices are not numbers, e.g. '$12.00', 'N/A', 'call us';" in out
    assert "1 sampled prices look like decimal commas, e.g. '7,50'" in out and 'set decimal: "," under csv:' in out
    assert "warning: Rows: 4 of 11 sampled rows do not map and would be skipped: line 8: price '$12.00' is not a number;" in out


def test_no_row_maps_is_unusable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _check(*_files(tmp_path, [",No Id,Red,Men,Acme,1.00", "X2,,Red,Men,Acme,2.00"]), capsys)
    assert code == 2 and "error: No row maps to a product:" in out and "line 2: empty id" in out


def test_missing_files_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    catalog, mapping = _files(tmp_path, GOOD_ROWS)
    code, out = _check(tmp_path / "nope.csv", mapping, capsys)
    assert code == 2 and "error: Catalog file" in out and "does not exist" in out
    code, out = _check(catalog, tmp_path / "nope.yml", capsys)
    assert code == 2 and "error: Mapping file" in out


def test_search_and_stats_follow_the_mapping(tmp_path: Path, capsys: pytest.CaptureFixture[str], make_settings,  # type: ignore[no-untyped-def]
                                             encoder, monkeypatch: pytest.MonkeyPatch) -> None:
    from retrieval.ingest import ingest

    demo = Path(__file__).resolve().parents[2] / "retrieval" / "mappings" / "demo.yml"
    mine = tmp_path / "mine.yml"
    mine.write_text(demo.read_text(encoding="utf-8").replace("name: demo", "name: mine"), encoding="utf-8")
    settings = make_settings()
    ingest(settings, mapping_path=mine, encoder=encoder)
    monkeypatch.setattr("shop.settings.get_settings", lambda: settings)
    monkeypatch.setattr("retrieval.search.load_query_encoder", lambda _settings: encoder)

    assert main(["search", "black running shoes", "-k", "3", "--mapping", str(mine)]) == 0
    out = capsys.readouterr().out
    assert "[1001] Nike Men Black Running Sports Shoes" in out and "3 hits" in out
    assert main(["search", "black running shoes"]) == 2  # the default mapping names 'demo', never ingested here
    assert "Catalog 'demo' has no products" in capsys.readouterr().err

    assert main(["stats", "--mapping", str(mine)]) == 0
    out = capsys.readouterr().out
    assert "1 catalog(s) in sqlite" in out and "  mine: 26 products, index flat with 26 vectors  <- selected" in out
    assert main(["stats"]) == 0
    assert "Catalog 'demo' has no products" in capsys.readouterr().out
    assert main(["search", "black running shoes", "-k", "1", "--catalog", "mine"]) == 0  # by its name in the database
    assert "[1001] Nike Men Black Running Sports Shoes" in capsys.readouterr().out


@pytest.mark.parametrize(("csv", "message"), [
    ("csv: {delimiter: '; '}", 'use delimiter: ";"'),
    ("csv: {delimiter: ''}", "has 0 characters"),
    ("csv: {encoding: utf-9}", "unknown encoding 'utf-9'"),
    ("csv: {decimal: ';'}", "decimal must be"),
    ("csv: ';'", "'csv' must be a dictionary"),
])
def test_bad_csv_options_fail_at_load_time(tmp_path: Path, csv: str, message: str) -> None:
    _, mapping = _files(tmp_path, GOOD_ROWS, csv=csv + "\n")
    with pytest.raises(MappingError, match=message):
        load_mapping(mapping)


def test_coverage_counts_non_empty_values_of_every_spec_kind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    catalog = tmp_path / "shop.csv"
    catalog.write_text(
        "sku,name,class,features,width\n"
        'A1,Lounge Chair,Accent Chairs|Teen Lounge Furniture,"color : white|material : oak",90\n'
        'A2,Desk,Desks,"material = pine",19 inch\n'
        "A3,Lamp,,color: ,\n"
        'A4,Stool,Stools | ,"color: black; material: ",45.5\n', encoding="utf-8")
    mapping = tmp_path / "shop.yml"
    mapping.write_text("name: mine\nfields:\n  id: sku\n  title: name\n  product_type: {column: class, split: \"|\"}\n"
                       "  colour: {column: features, key: color}\nattributes:\n  material: {column: features, key: material}\n"
                       "  width: {column: width, unit: cm}\n  size: {column: dims, key: size}\n", encoding="utf-8")
    code, out = _check(catalog, mapping, capsys)
    assert code == 2 and "error: Unknown columns ['dims'] (used by attribute size)" in out  # the rest still previewed
    assert "[A1] Lounge Chair | type Accent Chairs, Teen Lounge Furniture | colour white" in out
    assert "product_type                75.0%  (25.0% with several values)" in out
    assert "colour                      50.0%\n" in out  # "color: " (empty) is no value
    assert "attribute material          50.0%" in out and "attribute width             75.0%" in out
    assert "warning: Units: 1 of 3 sampled values of attribute width are not numbers and are kept as written, e.g. '19 inch'." in out
