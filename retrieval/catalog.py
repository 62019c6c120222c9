"""Reading a catalog CSV through its mapping: valid records plus the rows that were skipped and why."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from retrieval.attributes import attribute
from retrieval.errors import CatalogNotFoundError, EmptyCatalogError, MappingError
from retrieval.mapping import SPLIT_FIELDS, Mapping, RowError
from retrieval.store import content_hash


@dataclass
class CatalogRead:
    """The outcome of reading one file: records keyed by product id, and skipped rows with line numbers."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    rows: int = 0
    merged: int = 0
    """Rows that repeated a product under another type or category, merged into it (see ``merge_listings``)."""

    def skipped_summary(self, limit: int = 10) -> str:
        """"line 7: empty title; line 9: ..." for the first ``limit`` skipped rows."""
        shown = "; ".join(f"line {line}: {why}" for line, why in self.skipped[:limit])
        more = f" (and {len(self.skipped) - limit} more)" if len(self.skipped) > limit else ""
        return shown + more


def read_catalog(path: Path, mapping: Mapping, *, limit: int | None = None) -> CatalogRead:
    """Parse ``path`` with ``mapping``; raise on a missing/unreadable/empty file, skip and report bad rows.

    Line numbers are physical file lines (the header is line 1), so a quoted field spanning lines
    still points at the line where its row starts.
    """
    if not path.is_file():
        raise CatalogNotFoundError(f"Catalog file {path} does not exist; pass --catalog PATH or set SHOP_CATALOG_PATH.")
    result = CatalogRead()
    first_line: dict[str, int] = {}
    try:
        with path.open(newline="", encoding=mapping.encoding) as handle:
            reader = csv.reader(handle, delimiter=mapping.delimiter)
            header = next(reader, None)
            if not header or not any(h.strip() for h in header):
                raise EmptyCatalogError(f"Catalog {path} is empty (no header row); export it again with a header.")
            header = [h.strip() for h in header]
            mapping.check_header(header)
            line = reader.line_num
            for values in reader:
                start, line = line + 1, reader.line_num
                if not any(v.strip() for v in values):
                    continue
                result.rows += 1
                if limit is not None and result.rows > limit:
                    break
                if len(values) != len(header):
                    result.skipped.append((start, f"{len(values)} fields, expected {len(header)}"))
                    continue
                try:
                    record = mapping.to_record(dict(zip(header, values, strict=True)))
                except RowError as exc:
                    result.skipped.append((start, str(exc)))
                    continue
                pid = record["product_id"]
                if pid in result.records:
                    if merge_listings(result.records[pid], record):
                        result.merged += 1
                        result.records[pid]["content_hash"] = content_hash(result.records[pid])
                    else:
                        result.skipped.append((start, f"duplicate id {pid!r} (first on line {first_line[pid]})"))
                    continue
                record["content_hash"] = content_hash(record)
                result.records[pid], first_line[pid] = record, start
    except UnicodeDecodeError as exc:
        raise MappingError(
            f"Catalog {path} is not {mapping.encoding} ({exc.reason} at byte {exc.start}); set csv.encoding in {mapping.path}."
        ) from exc
    except csv.Error as exc:
        raise MappingError(f"Catalog {path} is not valid CSV with delimiter {mapping.delimiter!r}: {exc}") from exc
    if not result.records:
        detail = f" Skipped rows: {result.skipped_summary()}." if result.skipped else ""
        raise EmptyCatalogError(f"Catalog {path} has no usable product rows.{detail} Check the file and {mapping.path}.")
    return result


EMBEDDED_FIELDS = ("title", "product_type", "colour", "gender", "usage", "description")


def merge_listings(kept: dict[str, Any], repeat: dict[str, Any]) -> bool:
    """Merge a row that lists the same product again under another type, category or colour; False when it differs otherwise.

    Why: shops export a product once per place it is sold from (IKEA lists an armchair under
    "Chairs" and again under "Sofas & armchairs"); keeping only the first row would hide it from
    the second. The multi-valued fields gain the repeat's values; any other difference is a real
    conflict, and the row is skipped and reported.
    """
    listed = set(SPLIT_FIELDS)
    if any(kept.get(k) != repeat.get(k) for k in kept.keys() | repeat.keys() if k not in listed and k != "content_hash"):
        return False
    for name in listed:
        separator = SPLIT_FIELDS[name]
        values = [v for text in (kept.get(name), repeat.get(name)) if text for v in str(text).split(separator)]
        kept[name] = separator.join(dict.fromkeys(v.strip() for v in values if v.strip())) or None
    return True


def product_text(record: dict[str, Any], *, description_words: int = 0) -> str:
    """The text that gets embedded: the title plus the type/colour/gender when the title does not say them,
    then the first ``description_words`` words of the description.

    Why truncated: on catalogs with short titles ("BILLY", "Accent chair") the description carries most
    of the meaning, but a long one would drown the title in a mean-pooled vector; the word count is a
    setting chosen on the known-item and category benchmarks (``benchmarks/catalogs_benchmark.py``).
    """
    title = record["title"]
    lowered = title.lower()
    extras = [_listed(name, record.get(name)) for name in ("product_type", "colour", "gender", "usage")]
    extra = ", ".join(v for v in extras if v and v.lower() not in lowered)
    text = f"{title} ({extra})" if extra else title
    description = " ".join((record.get("description") or "").split()[:description_words])
    return f"{text}. {description}" if description and description.lower() not in lowered else text


def _listed(name: str, value: str | None) -> str | None:
    """A field holding several values ("Chairs|Stools") as words ("Chairs, Stools")."""
    separator = attribute(name).separator
    return value.replace(separator, ", ") if value and separator else value


def text_recipe(description_words: int) -> str:
    """What an index's vectors were embedded from, recorded in its manifest: a changed recipe rebuilds the index."""
    return f"title+attributes+description{description_words}"
