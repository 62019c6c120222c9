"""Declarative YAML mappings from any catalog CSV to product records.

A mapping says how to read the file (delimiter, encoding, decimal comma) and where each product
field comes from. The delimiter is one character; a tab is written ``delimiter: "\\t"`` in double quotes
(single-quoted ``'\\t'`` is a backslash and a t). ``python -m retrieval check`` tries a mapping on a sample
of the file before anything is ingested. A field spec is one of:

* ``"column"``                         the column's text;
* ``[col_a, col_b]``                   a path: non-empty values joined with " > " (categories);
* ``{column: tree, path: " >> "}``      a path held in one column: split on the given separator, levels
                                        stripped, empty ones dropped, joined with " > " (a category tree
                                        such as Flipkart's "Clothing >> Women's Clothing >> Shorts");
* ``{value: USD}``                     a constant;
* ``{column: c, split: "|"}``           a list (sizes);
* ``{derive: words_before, column: c, stop: [Men, Women]}``   words before the first stop word;
* ``{derive: first_words, column: c, count: 1}``              the first words;
* ``{derive: match_words, column: c, values: {Women: [women, "women's"]}}``  first value whose word occurs;
* any dict may add ``fallback: <spec>`` used when the result is empty.

Why declarative: a new catalog should need a YAML file, not code.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from retrieval.attributes import attribute
from retrieval.errors import CatalogNotFoundError, MappingError

FIELDS = (
    "id", "title", "product_type", "category", "colour", "gender", "brand", "price", "currency",
    "season", "usage", "sizes", "description", "image_url",
)
REQUIRED = ("id", "title")
DERIVATIONS = ("words_before", "first_words", "match_words")
PATH_SEPARATOR = attribute("category").path_separator or " > "  # how the registry reads a path
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[a-z]+(?:'s)?")


class RowError(ValueError):
    """A single row cannot become a product; the ingester skips and reports it."""


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping: CSV dialect plus field specs."""

    name: str
    path: Path
    delimiter: str = ","
    encoding: str = "utf-8-sig"
    decimal: str = "."
    fields: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)

    def columns(self) -> set[str]:
        """Every CSV column the mapping reads (checked against the header before ingesting)."""
        used: set[str] = set(self.attributes.values())
        for spec in self.fields.values():
            used |= _spec_columns(spec)
        return used

    def unknown_columns(self, header: list[str]) -> list[str]:
        """The columns the mapping reads that ``header`` lacks, sorted."""
        return sorted(self.columns() - set(header))

    def without_columns(self, columns: set[str]) -> Mapping:
        """This mapping minus every field and attribute that reads one of ``columns``.

        Why: ``python -m retrieval check`` can then still preview the rest of a mapping with a typo in one column.
        """
        return replace(
            self,
            fields={name: spec for name, spec in self.fields.items() if not _spec_columns(spec) & columns},
            attributes={key: col for key, col in self.attributes.items() if col not in columns},
        )

    def check_header(self, header: list[str]) -> None:
        """Fail early, naming the unknown columns, when the CSV does not match the mapping."""
        unknown = self.unknown_columns(header)
        if unknown:
            raise MappingError(
                f"Mapping {self.path} names columns {unknown} that the catalog does not have. "
                f"Available columns: {header}. Fix the mapping (or the delimiter/encoding it declares)."
            )

    def to_record(self, row: dict[str, str]) -> dict[str, Any]:
        """Turn one CSV row into a product record (the keys of ``ProductRow``); raise RowError when unusable."""
        values = {name: _resolve(spec, row) for name, spec in self.fields.items()}
        for name in REQUIRED:
            if not values.get(name):
                raise RowError(f"empty {name}")
        price = values.get("price")
        sizes = values.get("sizes")
        record: dict[str, Any] = {name: _text(values.get(name)) for name in FIELDS if name not in ("id", "price", "sizes")}
        record["product_id"] = str(values["id"])
        record["price"] = self.parse_price(price)
        record["sizes"] = "|".join(sizes) if isinstance(sizes, list) and sizes else _text(sizes)
        record["attributes"] = {key: _clean(row.get(col)) for key, col in self.attributes.items() if _clean(row.get(col))}
        return record

    def price_text(self, row: dict[str, str]) -> str | None:
        """The raw price text of a row, before parsing (``check`` shows it when it is not a number)."""
        spec = self.fields.get("price")
        value = _resolve(spec, row) if spec is not None else None
        return value if isinstance(value, str) and value else None

    def parse_price(self, text: Any) -> float | None:
        """The price as a number using the mapping's decimal mark; None when empty, RowError when not a number."""
        return _number(text, self.decimal) if isinstance(text, str) and text else None


def load_mapping(path: Path) -> Mapping:
    """Read and validate a YAML mapping file."""
    if not path.is_file():
        raise CatalogNotFoundError(f"Mapping file {path} does not exist; pass --mapping with a file from retrieval/mappings/.")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise MappingError(f"Mapping {path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("fields"), dict):
        raise MappingError(f"Mapping {path} needs a top-level 'fields:' dictionary (see retrieval/mappings/demo.yml).")
    unknown = sorted(set(raw["fields"]) - set(FIELDS))
    if unknown:
        raise MappingError(f"Mapping {path} has unknown fields {unknown}; allowed: {list(FIELDS)}.")
    missing = [name for name in REQUIRED if name not in raw["fields"]]
    if missing:
        raise MappingError(f"Mapping {path} must map {missing}.")
    for name, spec in raw["fields"].items():
        _validate_spec(path, name, spec)
    csv_opts = _csv_options(path, raw.get("csv") or {})
    attributes = raw.get("attributes") or {}
    if isinstance(attributes, list):
        attributes = {col: col for col in attributes}
    return Mapping(
        name=str(raw.get("name") or path.stem),
        path=path,
        delimiter=csv_opts["delimiter"],
        encoding=csv_opts["encoding"],
        decimal=csv_opts["decimal"],
        fields=dict(raw["fields"]),
        attributes={str(k): str(v) for k, v in attributes.items()},
    )


def _csv_options(path: Path, opts: Any) -> dict[str, str]:
    """The ``csv:`` block checked here, so a wrong dialect fails with its fix at load time and not as a
    ``"delimiter" must be a 1-character string`` TypeError deep inside the csv module."""
    if not isinstance(opts, dict):
        raise MappingError(f"Mapping {path}: 'csv' must be a dictionary such as {{delimiter: \";\", encoding: utf-8}}.")
    def option(key: str, default: str) -> str:
        return default if opts.get(key) is None else str(opts[key])

    delimiter, encoding, decimal = option("delimiter", ","), option("encoding", "utf-8-sig"), option("decimal", ".")
    if len(delimiter) != 1:
        raise MappingError(f"Mapping {path}: delimiter '{delimiter}' has {len(delimiter)} characters, it must have "
                           f"exactly one; {delimiter_hint(delimiter)}")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise MappingError(f"Mapping {path}: unknown encoding {encoding!r}; use e.g. utf-8, cp1252 or latin-1.") from None
    if decimal not in (".", ","):
        raise MappingError(f"Mapping {path}: decimal must be \".\" or \",\", not {decimal!r}.")
    return {"delimiter": delimiter, "encoding": encoding, "decimal": decimal}


_ESCAPES = {"\\t": "\t", "\\\\t": "\t", "tab": "\t"}  # what people write for a tab


def delimiter_hint(delimiter: str) -> str:
    """How to write a delimiter in the YAML mapping; a tab needs double quotes, which is easy to get wrong."""
    stripped = delimiter.strip(" ")
    char = _ESCAPES.get(stripped.lower(), stripped)
    if char == "\t":
        return 'use delimiter: "\\t" in double quotes; in single quotes YAML keeps the backslash.'
    if len(char) == 1:
        return f"use delimiter: {yaml_quoted(char)}."
    return 'write one character in double quotes, e.g. delimiter: ";" or delimiter: "\\t" for a tab.'


def yaml_quoted(char: str) -> str:
    """A one-character delimiter as it should appear in YAML (double-quoted, escapes spelled out)."""
    return '"\\t"' if char == "\t" else f'"{char}"'


def _validate_spec(path: Path, name: str, spec: Any) -> None:
    if isinstance(spec, (str, list)):
        return
    if not isinstance(spec, dict):
        raise MappingError(f"Mapping {path}: field {name!r} must be a column name, a list or a dictionary.")
    if "derive" in spec and spec["derive"] not in DERIVATIONS:
        raise MappingError(f"Mapping {path}: field {name!r} uses unknown derive {spec['derive']!r}; use one of {DERIVATIONS}.")
    if "derive" in spec and "column" not in spec:
        raise MappingError(f"Mapping {path}: field {name!r} derives without a 'column'.")
    if not ({"value", "column"} & set(spec)):
        raise MappingError(f"Mapping {path}: field {name!r} needs 'column' or 'value'.")
    if "path" in spec and (not isinstance(spec["path"], str) or not spec["path"].strip()):
        raise MappingError(f"Mapping {path}: field {name!r} needs a non-empty separator in 'path' (e.g. path: \" >> \").")
    if "path" in spec and ({"derive", "split", "value"} & set(spec)):
        raise MappingError(f"Mapping {path}: field {name!r} combines 'path' with 'derive', 'split' or 'value'; use one.")
    if "fallback" in spec:
        _validate_spec(path, name, spec["fallback"])


def _spec_columns(spec: Any) -> set[str]:
    if isinstance(spec, str):
        return {spec}
    if isinstance(spec, list):
        return {str(col) for col in spec}
    cols = {str(spec["column"])} if "column" in spec else set()
    return cols | (_spec_columns(spec["fallback"]) if "fallback" in spec else set())


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    text = _SPACES.sub(" ", value).strip()
    return text or None


def _text(value: Any) -> str | None:
    return _clean(value) if isinstance(value, str) else None


def _number(text: str, decimal: str) -> float:
    raw = text.replace(" ", "").replace("\u00a0", "")
    if decimal == ",":
        raw = raw.replace(".", "").replace(",", ".")
    else:
        raw = raw.replace(",", "")
    try:
        return float(raw)
    except ValueError:
        raise RowError(f"price {text!r} is not a number") from None


def _resolve(spec: Any, row: dict[str, str]) -> Any:
    if isinstance(spec, str):
        return _clean(row.get(spec))
    if isinstance(spec, list):
        parts = [p for p in (_clean(row.get(str(col))) for col in spec) if p]
        return PATH_SEPARATOR.join(parts) or None
    result: Any
    if "value" in spec:
        result = spec["value"]
    elif "derive" in spec:
        result = _derive(spec, _clean(row.get(spec["column"])) or "")
    elif "split" in spec:
        text = _clean(row.get(spec["column"])) or ""
        result = [part.strip() for part in text.split(spec["split"]) if part.strip()]
    elif "path" in spec:
        levels = _path_pattern(spec["path"]).split(_clean(row.get(spec["column"])) or "")
        result = PATH_SEPARATOR.join(level.strip() for level in levels if level.strip()) or None
    else:
        result = _clean(row.get(spec["column"]))
    if not result and "fallback" in spec:
        return _resolve(spec["fallback"], row)
    return result


def _path_pattern(separator: str) -> re.Pattern[str]:
    """A separator padded with spaces (" >> ") matches its core between spaces or ends, so "A >>  >> B" has an
    empty level (dropped) and " / " does not cut "in/outdoor"; an unpadded one matches as written."""
    core = separator.strip()
    if core == separator:
        return re.compile(re.escape(core))
    return re.compile(rf"\s*(?<!\S){re.escape(core)}(?!\S)\s*")


def _derive(spec: dict[str, Any], text: str) -> str | None:
    words = text.split()
    if spec["derive"] == "first_words":
        return " ".join(words[: int(spec.get("count", 1))]) or None
    if spec["derive"] == "words_before":
        stops = {str(s).lower() for s in spec.get("stop", [])}
        for i, word in enumerate(words):
            if word.lower().strip(",.") in stops:
                return " ".join(words[:i]) or None
        return None
    tokens = set(_WORD.findall(text.lower()))
    lowered = f" {text.lower()} "
    for value, synonyms in spec.get("values", {}).items():
        for syn in synonyms or [value]:
            syn = str(syn).lower()
            if (" " in syn and f" {syn} " in lowered) or syn in tokens:
                return str(value)
    return None
