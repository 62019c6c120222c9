"""Dry run of a mapping on the first rows of its catalog: what ``python -m retrieval check`` prints.

Why: a shop owner's first mapping is rarely right (a tab written in single quotes, a Windows export that is
not UTF-8, a misspelt column, prices with a currency sign). Finding out by ingesting needs a database, an
index and the embedding model; this reads a sample only and writes nothing. Rows become products through
ingestion's own reader and builder (``read_catalog`` / ``Mapping.to_record``), so the preview is what
``ingest`` would store.
"""

from __future__ import annotations

import codecs
import csv
import re
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from retrieval.catalog import read_catalog
from retrieval.errors import CatalogNotFoundError, EmptyCatalogError, MappingError, RetrievalError
from retrieval.mapping import FIELDS, REQUIRED, SPLIT_FIELDS, Mapping, RowError, delimiter_hint, load_mapping, yaml_quoted

SAMPLE_ROWS = 2000
PREVIEW_ROWS = 5
DELIMITERS = {"\t": "tab", ";": "semicolon", "|": "pipe", ",": "comma"}
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")  # latin-1 last: it decodes any byte, so it is the guess of last resort
PREVIEW_FIELDS = (("product_type", "type"), ("colour", "colour"), ("gender", "gender"), ("brand", "brand"),
                  ("price", "price"), ("category", "category"))
EXAMPLES = 3


@dataclass
class CheckReport:
    """Everything ``check`` found; ``lines()`` is the printed report, ``exit_code`` 0 when ingest would work."""

    catalog: Path
    mapping: Path
    name: str | None = None
    sample_limit: int = SAMPLE_ROWS
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sampled: int = 0
    mapped: int = 0
    preview: list[dict[str, Any]] = field(default_factory=list)
    coverage: dict[str, float] = field(default_factory=dict)
    several: dict[str, float] = field(default_factory=dict)
    """Share of mapped products holding several values, per multi-valued field that has any."""
    unmapped: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """The mapping can be ingested as it is (warnings may still lose some rows)."""
        return not self.errors

    @property
    def exit_code(self) -> int:
        """0 when usable, 2 (the CLI's status for any retrieval error) when not."""
        return 0 if self.ok else 2

    def lines(self) -> list[str]:
        """The report, one finding per line, errors first."""
        title = f" (catalog {self.name!r})" if self.name else ""
        out = [f"Checking {self.catalog} with {self.mapping}{title}, first {self.sample_limit} rows"]
        out += [f"error: {e}" for e in self.errors] + [f"warning: {w}" for w in self.warnings]
        if self.preview:
            out.append(f"Preview ({len(self.preview)} of {self.mapped} products mapped from {self.sampled} rows):")
            out += [f"  {_preview_line(record)}" for record in self.preview]
        if self.coverage:
            out.append(f"Coverage (share of the {self.mapped} mapped products with a value):")
            out += [f"  {name:<26} {share:6.1%}" + (f"  ({self.several[name]:.1%} with several values)" if name in self.several else "")
                    for name, share in self.coverage.items()]
        if self.unmapped:
            out.append(f"  not mapped: {', '.join(self.unmapped)}")
        if self.ok:
            out.append(f"OK: the mapping is usable; python -m retrieval ingest --catalog {self.catalog} --mapping {self.mapping}")
        else:
            out.append("NOT USABLE: fix the errors above and run check again.")
        return out


@dataclass
class _Sample:
    """The header and the first rows as raw text (rows whose field count matches the header)."""

    header: list[str]
    rows: list[dict[str, str]]


def check_catalog(catalog: Path, mapping_path: Path, *, sample: int = SAMPLE_ROWS) -> CheckReport:
    """Try ``mapping_path`` on the first ``sample`` rows of ``catalog``; never raises for a bad file or mapping."""
    report = CheckReport(catalog=catalog, mapping=mapping_path, sample_limit=sample)
    try:
        mapping = load_mapping(mapping_path)
    except RetrievalError as exc:
        report.errors.append(str(exc))
        return report
    report.name = mapping.name
    try:
        raw = _read_sample(catalog, mapping, sample)
    except (RetrievalError, OSError) as exc:
        report.errors.append(str(exc))
        return report
    if raw is None:
        report.errors.append(f"{catalog} is empty (no header row); export it again with a header.")
        return report
    if _delimiter_problem(raw.header, mapping, report):
        return report
    if raw.header and raw.header[0].startswith("\ufeff"):
        report.warnings.append(f"{catalog.name} starts with a byte-order mark that {mapping.encoding} keeps; "
                               "set encoding: utf-8-sig under csv:.")
    usable = _unknown_columns(raw.header, mapping, report)
    if usable is None:
        return report
    _check_prices(raw.rows, usable, report)
    _map_rows(catalog, usable, sample, report)
    return report


def _read_sample(path: Path, mapping: Mapping, limit: int) -> _Sample | None:
    """Header plus up to ``limit`` rows; decoding and CSV errors become one-line MappingErrors with the fix."""
    if not path.is_file():
        raise CatalogNotFoundError(f"Catalog file {path} does not exist.")
    try:
        with path.open(newline="", encoding=mapping.encoding) as handle:
            reader = csv.reader(handle, delimiter=mapping.delimiter)
            header = next(reader, None)
            if not header or not any(h.strip() for h in header):
                return None
            header = [h.strip() for h in header]
            rows = [dict(zip(header, values, strict=True)) for values in islice(reader, limit)
                    if len(values) == len(header)]
    except UnicodeDecodeError as exc:
        raise MappingError(_encoding_message(path, mapping, exc, limit)) from None
    except csv.Error as exc:
        raise MappingError(f"{path.name} is not valid CSV with delimiter {yaml_quoted(mapping.delimiter)} "
                           f"(line {reader.line_num}): {exc}.") from None
    return _Sample(header=header, rows=rows)


def _encoding_message(path: Path, mapping: Mapping, exc: UnicodeDecodeError, limit: int) -> str:
    byte = exc.object[exc.start:exc.start + 1].hex()
    guess = guess_encoding(path, exclude=mapping.encoding, lines=limit + 1)
    fix = (f"it reads as {guess}: set encoding: {guess} under csv: in {mapping.path.name}"
           + (" (Windows/Excel export; latin-1 also reads any byte)" if guess == "cp1252" else "")
           if guess else "save the file as UTF-8 or set its encoding under csv:")
    return f"Encoding: {path.name} is not {mapping.encoding} (byte 0x{byte}: {exc.reason}); {fix}."


def guess_encoding(path: Path, *, exclude: str, lines: int) -> str | None:
    """The first of ``ENCODINGS`` (other than ``exclude``) that decodes the first ``lines`` lines of the file."""
    with path.open("rb") as handle:
        data = b"".join(islice(handle, lines))
    for encoding in ENCODINGS:
        if codecs.lookup(encoding).name == codecs.lookup(exclude).name:
            continue
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    return None


def _delimiter_problem(header: list[str], mapping: Mapping, report: CheckReport) -> bool:
    """A header read as one column that holds another delimiter: say which one and how to write it."""
    if len(header) != 1:
        return False
    counts = {char: header[0].count(char) for char in DELIMITERS if char != mapping.delimiter}
    char = max(counts, key=lambda c: counts[c])
    if not counts[char]:
        return False
    declared = DELIMITERS.get(mapping.delimiter, repr(mapping.delimiter))
    report.errors.append(
        f"Delimiter: with {declared} as delimiter the header reads as one column, but it contains {counts[char]} "
        f"{DELIMITERS[char]}s; the file seems {DELIMITERS[char]}-separated: under csv: in {mapping.path.name}, "
        f"{delimiter_hint(char)}"
    )
    return True


def _unknown_columns(header: list[str], mapping: Mapping, report: CheckReport) -> Mapping | None:
    """Report columns the file lacks; return the mapping without them (to preview the rest), None if id/title need them."""
    unknown = mapping.unknown_columns(header)
    if not unknown:
        return mapping
    usable = mapping.without_columns(set(unknown))
    lost = [name for name in mapping.fields if name not in usable.fields]
    lost += [f"attribute {key}" for key in mapping.attributes if key not in usable.attributes]
    report.errors.append(f"Unknown columns {unknown} (used by {', '.join(lost)}); "
                         f"the file has: {', '.join(header)}.")
    if any(name in lost for name in REQUIRED):
        return None
    return usable


def _check_prices(rows: list[dict[str, str]], mapping: Mapping, report: CheckReport) -> None:
    """Prices that are not numbers (the row is skipped on ingest) or that the decimal setting would misread."""
    texts = [text for text in (mapping.price_text(row) for row in rows) if text]
    bad: list[str] = []
    for text in texts:
        try:
            mapping.parse_price(text)
        except RowError:
            bad.append(text)
    if bad:
        report.warnings.append(f"Prices: {len(bad)} of {len(texts)} sampled prices are not numbers, e.g. "
                               f"{_examples(bad)}; those rows are skipped on ingest (remove currency signs and "
                               "words from the column, or map price to another one).")
    other = "," if mapping.decimal == "." else "."
    pattern = re.compile(rf"\d{re.escape(other)}\d{{1,2}}$")
    misread = [text for text in texts if text not in bad and pattern.search(text.strip())]
    if misread:
        report.warnings.append(f"Prices: {len(misread)} sampled prices look like decimal {'commas' if other == ',' else 'points'}, "
                               f"e.g. {_examples(misread)}, but the mapping reads {yaml_quoted(mapping.decimal)} as decimal "
                               f"mark; set decimal: {yaml_quoted(other)} under csv:.")


def _map_rows(catalog: Path, mapping: Mapping, sample: int, report: CheckReport) -> None:
    """Map the sample with ingestion's reader: skipped rows, preview and coverage."""
    try:
        read = read_catalog(catalog, mapping, limit=sample)
    except EmptyCatalogError as exc:
        report.errors.append(f"No row maps to a product: {exc}")
        return
    except (RetrievalError, OSError) as exc:
        report.errors.append(str(exc))
        return
    report.sampled = min(read.rows, sample)
    report.mapped = len(read.records)
    if read.skipped:
        report.warnings.append(f"Rows: {len(read.skipped)} of {report.sampled} sampled rows do not map and would be "
                               f"skipped: {read.skipped_summary(limit=5)}.")
    records = list(read.records.values())
    report.preview = records[:PREVIEW_ROWS]
    rows = max(report.mapped, 1)  # skipped rows are reported above; coverage says what the products will hold
    for name in FIELDS:
        if name == "id":  # every mapped row has one by definition
            continue
        if name in mapping.fields:
            report.coverage[name] = sum(1 for r in records if r.get(name) not in (None, "")) / rows
        else:
            report.unmapped.append(name)
    for name, separator in SPLIT_FIELDS.items():
        several = sum(1 for r in records if separator in (r.get(name) or ""))
        if name in report.coverage and several:
            report.several[name] = several / rows
    for key in mapping.attributes:
        report.coverage[f"attribute {key}"] = sum(1 for r in records if r["attributes"].get(key)) / rows
    _check_units(records, mapping, report)


def _check_units(records: list[dict[str, Any]], mapping: Mapping, report: CheckReport) -> None:
    """Attribute values with a unit that were no number and are kept as written (a measure in other words)."""
    for key, spec in mapping.attributes.items():
        if not isinstance(spec, dict) or "unit" not in spec:
            continue
        measured = re.compile(rf"-?\d+(?:\.\d+)? {re.escape(spec['unit'].strip())}")
        values = [r["attributes"][key] for r in records if r["attributes"].get(key)]
        odd = [v for v in values if not measured.fullmatch(v)]
        if odd:
            report.warnings.append(f"Units: {len(odd)} of {len(values)} sampled values of attribute {key} are not numbers "
                                   f"and are kept as written, e.g. {_examples(odd)}.")


def _preview_line(record: dict[str, Any]) -> str:
    parts = [f"[{record['product_id']}] {record['title']}"]
    for key, label in PREVIEW_FIELDS:
        value = record.get(key)
        if value is None or value == "":
            continue
        if key == "price":
            value = f"{value:.2f}" + (f" {record['currency']}" if record.get("currency") else "")
        elif key in SPLIT_FIELDS:
            value = ", ".join(value.split(SPLIT_FIELDS[key]))
        parts.append(f"{label} {value}")
    return " | ".join(parts)


def _examples(values: list[str]) -> str:
    return ", ".join(repr(v) for v in values[:EXAMPLES])
