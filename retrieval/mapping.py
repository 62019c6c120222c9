"""Declarative YAML mappings from any catalog CSV to product records.

A mapping says how to read the file (delimiter, encoding, decimal comma) and where each product
field comes from. The delimiter is one character; a tab is written ``delimiter: "\\t"`` in double quotes
(single-quoted ``'\\t'`` is a backslash and a t). ``python -m retrieval check`` tries a mapping on a sample
of the file before anything is ingested; ``retrieval/mappings/TEMPLATE.yml`` shows every option. A field
spec is one of:

* ``"column"``                         the column's text;
* ``[col_a, col_b]``                   a path: non-empty values joined with " > " (categories);
* ``{column: tree, path: " >> "}``      a path held in one column: split on the given separator, levels
                                        stripped, empty ones dropped, joined with " > " (a category tree
                                        such as Flipkart's "Clothing >> Women's Clothing >> Shorts");
* ``{value: USD}``                     a constant;
* ``{column: c, split: "|"}``           several values (sizes; product_type, colour and category too): each
                                        is a value of its own for filters and facets;
* ``{column: c, key: color}``          one key's value of a structured column ("color : white|width : 90 cm",
                                        Flipkart's ``{"key"=>"Color", "value"=>"Blue"}`` list); keys match
                                        case-insensitively; ``key: [material, fabric]`` takes the first present;
                                        ``pairs: ";"`` and ``sep: "="`` fix the separators (default: pairs split
                                        on "|" or ";", key from value on the first ":" or "=");
* ``{column: width, unit: cm}``         a number kept with its unit ("90 cm", "90,5" read with the decimal mark;
                                        text that is no number is kept as written); attributes only;
* ``{derive: words_before, column: c, stop: [Men, Women]}``   words before the first stop word;
* ``{derive: first_words, column: c, count: 1}``              the first words;
* ``{derive: match_words, column: c, values: {Women: [women, "women's"]}}``  first value whose word occurs;
* any dict may add ``fallback: <spec>`` used when the result is empty; ``key`` combines with ``split``,
  ``path``, ``unit`` and ``derive`` (they then read the key's value).

``attributes:`` keeps free attributes: ``{designer: designer}`` (key: column), a list of columns, or a
field spec per key (``{material: {column: features, key: material}}``).

Why declarative: a new catalog should need a YAML file, not code.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

import yaml

from retrieval.attributes import REGISTRY, attribute
from retrieval.errors import CatalogNotFoundError, MappingError

FIELDS = (
    "id", "title", "product_type", "category", "colour", "gender", "brand", "price", "currency",
    "season", "usage", "sizes", "description", "image_url",
)
REQUIRED = ("id", "title")
DERIVATIONS = ("words_before", "first_words", "match_words")
DERIVE_OPTIONS = {"words_before": "stop", "first_words": "count", "match_words": "values"}  # what each derivation reads
SPEC_OPTIONS = ("column", "value", "key", "pairs", "sep", "split", "path", "unit", "derive", *DERIVE_OPTIONS.values(),
                "fallback")
SPLIT_FIELDS = {a.field: a.separator for a in REGISTRY if a.separator and a.field in FIELDS}
"""Fields that may hold several values, each with the separator the registry reads them back with."""
PATH_SEPARATOR = attribute("category").path_separator or " > "  # how the registry reads a path
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[a-z]+(?:'s)?")
_HASH_PAIR = re.compile(r'\{\s*(?:"key"\s*=>\s*"(?P<key>(?:[^"\\]|\\.)*)"\s*,\s*)?"value"\s*=>\s*"(?P<value>(?:[^"\\]|\\.)*)"\s*\}')
_ESCAPED = re.compile(r"\\(.)")
_PAIRS = re.compile(r"[|;]")
_KEY_VALUE = re.compile(r"[:=]")


class RowError(ValueError):
    """A single row cannot become a product; the ingester skips and reports it."""


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping: CSV dialect plus field specs (and attribute specs: a column name or a field spec)."""

    name: str
    path: Path
    delimiter: str = ","
    encoding: str = "utf-8-sig"
    decimal: str = "."
    fields: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)

    def columns(self) -> set[str]:
        """Every CSV column the mapping reads (checked against the header before ingesting)."""
        used: set[str] = set()
        for spec in (*self.fields.values(), *self.attributes.values()):
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
            attributes={key: spec for key, spec in self.attributes.items() if not _spec_columns(spec) & columns},
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
        """Turn one CSV row into a product record (the keys of ``ProductRow``); raise RowError when unusable.

        Several values of a field (``split``) are joined with the registry's separator for that field, which
        ``Attribute.values_of`` splits again: the store keeps one text column per field.
        """
        values = {name: _resolve(spec, row, self.decimal) for name, spec in self.fields.items()}
        for name in REQUIRED:
            if not values.get(name):
                raise RowError(f"empty {name}")
        record: dict[str, Any] = {name: _stored(name, values.get(name)) for name in FIELDS if name not in ("id", "price")}
        record["product_id"] = str(values["id"])
        record["price"] = self.parse_price(values.get("price"))
        record["attributes"] = {key: value for key, spec in self.attributes.items()
                                if (value := _text(_resolve(spec, row, self.decimal)))}
        return record

    def price_text(self, row: dict[str, str]) -> str | None:
        """The raw price text of a row, before parsing (``check`` shows it when it is not a number)."""
        spec = self.fields.get("price")
        value = _resolve(spec, row, self.decimal) if spec is not None else None
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
    attributes = _attribute_specs(path, raw.get("attributes") or {})
    return Mapping(
        name=str(raw.get("name") or path.stem),
        path=path,
        delimiter=csv_opts["delimiter"],
        encoding=csv_opts["encoding"],
        decimal=csv_opts["decimal"],
        fields=dict(raw["fields"]),
        attributes=attributes,
    )


def _attribute_specs(path: Path, raw: Any) -> dict[str, Any]:
    """The ``attributes:`` block as key -> spec: a list of columns keeps each under its own name."""
    if isinstance(raw, list):
        raw = {str(col): str(col) for col in raw}
    if not isinstance(raw, dict):
        raise MappingError(f"Mapping {path}: 'attributes' must be a dictionary (key: column or field spec) or a list "
                           "of columns.")
    specs = {str(key): spec if isinstance(spec, (dict, list)) else str(spec) for key, spec in raw.items()}
    for key, spec in specs.items():
        _validate_spec(path, key, spec, attribute=True)
    return specs


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


def _validate_spec(path: Path, name: str, spec: Any, *, attribute: bool = False) -> None:
    """Refuse a spec mistake at load time with one line naming the file and the field (or attribute)."""
    where = f"Mapping {path}: {'attribute' if attribute else 'field'} {name!r}"

    def fail(problem: str) -> NoReturn:
        raise MappingError(f"{where} {problem}")

    if isinstance(spec, str) or (isinstance(spec, list) and spec):
        return
    if not isinstance(spec, dict):
        fail("must be a column name, a list of columns or a dictionary.")
    options = set(spec)
    unknown = sorted(str(o) for o in options - set(SPEC_OPTIONS))
    if unknown:
        fail(f"has unknown options {unknown}; a spec may use {list(SPEC_OPTIONS)} (see retrieval/mappings/TEMPLATE.yml).")
    if not ({"value", "column"} & options):
        fail("needs 'column' or 'value'.")
    if "value" in spec and options & {"column", "key", "split", "path", "unit", "derive"}:
        fail("combines 'value' (a constant) with options that read a column; use one.")
    _validate_derive(spec, fail)
    for option in ("split", "path", "unit", "pairs", "sep"):  # a space may separate values, never name a level or unit
        if option in spec and (not isinstance(spec[option], str) or not (spec[option] if option in _SEPARATORS else spec[option].strip())):
            fail(f"needs a non-empty text in '{option}' (e.g. {_EXAMPLES[option]}).")
    keys = spec.get("key")
    if "key" in spec and not (isinstance(keys, str) and keys.strip()) and not (
            isinstance(keys, list) and keys and all(isinstance(k, str) and k.strip() for k in keys)):
        fail("needs a key name or a list of key names in 'key' (e.g. key: color or key: [material, fabric]).")
    if ({"pairs", "sep"} & options) and "key" not in spec:
        fail("sets 'pairs'/'sep' without a 'key' to look up.")
    transforms = sorted(options & {"derive", "split", "path", "unit"})
    if len(transforms) > 1:
        fail(f"combines {transforms}; use one of 'derive', 'split', 'path' and 'unit' (the other options say where "
             "the text comes from).")
    if "split" in spec and (attribute or name not in SPLIT_FIELDS):
        fail(f"cannot hold several values; 'split' is for the fields {sorted(SPLIT_FIELDS)}.")
    if "unit" in spec and not attribute:
        fail("uses 'unit', which is for attributes (attributes: {width: {column: width, unit: cm}}).")
    if "fallback" in spec:
        _validate_spec(path, name, spec["fallback"], attribute=attribute)


_SEPARATORS = ("split", "pairs", "sep")
_EXAMPLES = {"split": 'split: "|"', "path": 'path: " >> "', "unit": "unit: cm", "pairs": 'pairs: ";"', "sep": 'sep: ":"'}


def _validate_derive(spec: dict[str, Any], fail: Callable[[str], NoReturn]) -> None:
    """``derive`` needs a known derivation, a column, and only the option that derivation reads."""
    derive = spec.get("derive")
    if "derive" in spec and derive not in DERIVATIONS:
        fail(f"uses unknown derive {derive!r}; use one of {DERIVATIONS}.")
    if "derive" in spec and "column" not in spec:
        fail("derives without a 'column'.")
    for kind, option in DERIVE_OPTIONS.items():
        if option in spec and derive != kind:
            fail(f"sets '{option}', which only derive: {kind} reads.")
    if derive == "words_before" and not isinstance(spec.get("stop"), list):
        fail("derives words_before without a 'stop' list (e.g. stop: [Men, Women]).")
    if derive == "first_words" and not (isinstance(spec.get("count", 1), int) and spec.get("count", 1) > 0):
        fail("needs a positive whole number in 'count'.")
    if derive == "match_words" and not isinstance(spec.get("values"), dict):
        fail("derives match_words without a 'values' dictionary (e.g. values: {Women: [women, ladies]}).")


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


def _stored(name: str, value: Any) -> str | None:
    """A field's value as the store keeps it: several values joined with the field's registry separator."""
    if isinstance(value, list):
        return SPLIT_FIELDS[name].join(value) or None
    return _text(value)


def _number(text: str, decimal: str, what: str = "price") -> float:
    raw = text.replace(" ", "").replace("\u00a0", "")
    if decimal == ",":
        raw = raw.replace(".", "").replace(",", ".")
    else:
        raw = raw.replace(",", "")
    try:
        return float(raw)
    except ValueError:
        raise RowError(f"{what} {text!r} is not a number") from None


def parse_pairs(text: str | None, *, pairs: str | None = None, sep: str | None = None) -> dict[str, str]:
    """A structured field as key -> value, keys lower-cased with spaces trimmed; the first of a repeated key wins.

    Reads "color : white|material : oak" (pairs split on "|" or ";", or on ``pairs``; key from value on the
    first ":" or "=", or on ``sep``) and Flipkart's ``{"product_specification"=>[{"key"=>"Color",
    "value"=>"Blue"}, {"value"=>"no key"}]}``. An item without a key is left out: nothing can name it.
    """
    if not text:
        return {}
    if "=>" in text and _HASH_PAIR.search(text):
        items = [(_ESCAPED.sub(r"\1", key), _ESCAPED.sub(r"\1", value)) for key, value in hash_items(text)]
    else:
        items = [pair for part in (text.split(pairs) if pairs else _PAIRS.split(text)) if (pair := _split_pair(part, sep))]
    result: dict[str, str] = {}
    for key, value in items:
        name, text_value = pair_key(key), _clean(value)
        if name and text_value:
            result.setdefault(name, text_value)
    return result


def hash_items(text: str) -> list[tuple[str, str]]:
    """The (key, value) items of a Flipkart-style ``{"key"=>"Color", "value"=>"Blue"}`` list as written (escapes
    kept; "" for an item without a key), in order."""
    return [(m["key"] or "", m["value"]) for m in _HASH_PAIR.finditer(text or "")]


def _split_pair(part: str, sep: str | None) -> tuple[str, str] | None:
    """("color ", " white") from "color : white"; None for an item without a key."""
    if sep is not None:
        key, mark, value = part.partition(sep)
        return (key, value) if mark else None
    found = _KEY_VALUE.search(part)
    return (part[:found.start()], part[found.end():]) if found else None


def pair_key(key: str) -> str:
    """How a structured field's keys compare: case-insensitive, spaces trimmed and collapsed ("Ideal  For" = "ideal for")."""
    return " ".join(key.split()).lower()


def _source(spec: dict[str, Any], row: dict[str, str]) -> str | None:
    """The text a spec works on: its column's, or the value of the first of its keys the column holds."""
    text = _clean(row.get(spec["column"]))
    if "key" not in spec:
        return text
    pairs = parse_pairs(text, pairs=spec.get("pairs"), sep=spec.get("sep"))
    keys = spec["key"] if isinstance(spec["key"], list) else [spec["key"]]
    return next((pairs[pair_key(k)] for k in keys if pair_key(k) in pairs), None)


def _resolve(spec: Any, row: dict[str, str], decimal: str = ".") -> Any:
    if isinstance(spec, str):
        return _clean(row.get(spec))
    if isinstance(spec, list):
        parts = [p for p in (_clean(row.get(str(col))) for col in spec) if p]
        return PATH_SEPARATOR.join(parts) or None
    result: Any
    if "value" in spec:
        result = _clean(str(spec["value"]))
    else:
        text = _source(spec, row) or ""
        if "derive" in spec:
            result = _derive(spec, text)
        elif "split" in spec:
            result = [part.strip() for part in text.split(spec["split"]) if part.strip()]
        elif "path" in spec:
            levels = _path_pattern(spec["path"]).split(text)
            result = PATH_SEPARATOR.join(level.strip() for level in levels if level.strip()) or None
        elif "unit" in spec:
            result = _with_unit(text, spec["unit"].strip(), decimal)
        else:
            result = text or None
    if not result and "fallback" in spec:
        return _resolve(spec["fallback"], row, decimal)
    return result


def _with_unit(text: str, unit: str, decimal: str) -> str | None:
    """"90" or "90,5" (decimal comma) as "90 cm" / "90.5 cm"; text that is no number ("19 inch / 50 cm") as written."""
    if not text:
        return None
    try:
        number = Decimal(repr(_number(text, decimal, "measure")))
    except RowError:
        return text
    if not number.is_finite():
        return text
    return f"{number.normalize():f} {unit}"


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
