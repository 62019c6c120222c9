"""The three real catalogs shared beside the repository, as a shop owner would hand them over.

Myntra (44k fashion styles), IKEA (Saudi Arabian furniture) and Flipkart (20k mixed products) live
in ``../shared/data/catalogs`` (see PROVENANCE.md there), each read through its own mapping. The
benchmarks and the per-catalog conversation tests both load them from here, so that they run the
assistant on the same files, the same way.

Flipkart comes in three files that only together describe a product: ``flipkart_sample.csv``
(names, prices, brands; 20,000 rows), ``flipkart_names_categories_20k.csv`` (no header: uniq_id,
name, category tree as a one-string JSON list) and ``flipkart_full_columns_1k.csv`` (descriptions
and specifications of the first 999). ``join_flipkart`` joins them by ``uniq_id`` in the order of
``flipkart_sample.csv``, so the joined file is the same byte for byte on every run.

The tree is cleaned before it is written, so that every level is a category (the category
benchmark's labels are these levels):

* trailing levels that are the product itself are dropped: the product's name, a name cut off with
  "..." or a level that starts with the name ("Devinez Home Liquid Air Freshener (30 g)");
* brand nodes are dropped: a level that is its parent's name preceded by the product's brand or by
  the first words of its name ("Alisha Shorts" under "Shorts" for "Alisha Solid Women's Cycling
  Shorts"); "Women's Clothing" under "Clothing" stays. The brand has its own column.

328 products have a one-level tree that is only their name; they get no category. The levels are
written separated by " >> " as in the source; ``retrieval/mappings/flipkart_full.yml`` splits them
into the registry's category path.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from retrieval.mapping import hash_items

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CATALOGS = SHARED / "data" / "catalogs"
MAPPINGS = REPO / "retrieval" / "mappings"
TREE_SEPARATOR = " >> "
FLIPKART_COLUMNS = ("uniq_id", "product_name", "brand", "discounted_price", "retail_price", "product_rating",
                    "category_tree", "description", "specifications")
FLIPKART_JOINED = "flipkart_joined.csv"


def tree_levels(raw: str) -> list[str]:
    """The levels of a source tree (``'["A >> B >> C"]'`` or plain ``"A >> B"``), stripped, empty ones dropped."""
    text = raw.strip()
    if text.startswith("["):
        try:
            items = json.loads(text)
            text = " >> ".join(str(item) for item in items)
        except ValueError:
            text = text.strip('[]"')
    return [level.strip() for level in text.split(">>") if level.strip()]


def clean_tree(levels: list[str], product_name: str, brand: str = "") -> list[str]:
    """Category levels only: the product's own trailing levels and brand nodes removed (see the module docstring)."""
    name = product_name.strip().lower()
    owners = {brand.strip().lower()} - {""}
    levels = list(levels)
    while levels and (levels[-1].lower() == name or levels[-1].endswith("...") or (name and levels[-1].lower().startswith(name))):
        levels.pop()
    kept: list[str] = []
    for level in levels:
        lowered = level.lower()
        if kept and len(level) > len(kept[-1]) and lowered.endswith(" " + kept[-1].lower()):
            prefix = lowered[: -len(kept[-1]) - 1].strip()
            if prefix in owners or name.startswith(prefix + " "):
                continue  # "Alisha Shorts" under "Shorts"
        kept.append(level)
    return kept


def specifications(raw: str) -> str:
    """``{"product_specification"=>[{"key"=>"Fabric", "value"=>"Cotton"}, ...]}`` as "Fabric: Cotton; ..."."""
    pairs = []
    for raw_key, raw_value in hash_items(raw):
        key, value = raw_key.strip(), raw_value.strip()
        if value:
            pairs.append(f"{key}: {value}" if key else value)
    return "; ".join(pairs)


def _read_dicts(path: Path) -> list[dict[str, str]]:
    """CSV rows by header name; rows of only empty fields are dropped."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return [row for row in csv.DictReader(handle) if any((v or "").strip() for v in row.values())]


def _read_lists(path: Path) -> list[list[str]]:
    """CSV rows of a file without a header; rows of only empty fields are dropped."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return [row for row in csv.reader(handle) if any(v.strip() for v in row)]


def join_flipkart(catalogs: Path = CATALOGS) -> list[dict[str, str]]:
    """The joined Flipkart rows, in the order of ``flipkart_sample.csv``."""
    sample = _read_dicts(catalogs / "flipkart_sample.csv")
    trees = {row[0]: row[2] for row in _read_lists(catalogs / "flipkart_names_categories_20k.csv")}
    full = {row["uniq_id"]: row for row in _read_dicts(catalogs / "flipkart_full_columns_1k.csv")}
    joined = []
    for row in sample:
        uid = row["uniq_id"]
        extra: dict[str, str] = full.get(uid, {})
        levels = clean_tree(tree_levels(trees.get(uid, "")), row["product_name"], row["brand"])
        joined.append({
            "uniq_id": uid, "product_name": row["product_name"], "brand": row["brand"],
            "discounted_price": row["discounted_price"], "retail_price": row["retail_price"],
            "product_rating": row["product_rating"], "category_tree": TREE_SEPARATOR.join(levels),
            "description": " ".join((extra.get("description") or "").split()),
            "specifications": specifications(extra.get("product_specifications") or ""),
        })
    return joined


def render_flipkart(rows: list[dict[str, str]]) -> str:
    """The joined catalog as CSV text (UTF-8, LF, fields quoted where needed)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FLIPKART_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _write_atomically(path: Path, data: bytes) -> Path:
    """Write through a temporary file: a reader never sees half a catalog."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path


def write_flipkart(rows: list[dict[str, str]], path: Path) -> Path:
    """Write the joined catalog."""
    return _write_atomically(path, render_flipkart(rows).encode("utf-8"))


def ensure_flipkart(path: Path) -> Path:
    """The joined catalog at ``path``, (re)written only when missing or different (about a second).

    Rewriting only on a change keeps the file's timestamp, and so anything cached on it, stable.
    """
    data = render_flipkart(join_flipkart()).encode("utf-8")
    if not path.is_file() or path.read_bytes() != data:
        _write_atomically(path, data)
    return path


@dataclass(frozen=True)
class SharedCatalog:
    """One shared catalog: its name, the mapping that reads it, and how to get the file the mapping reads."""

    name: str
    mapping: Path
    sources: tuple[Path, ...]
    """The shared files it is made of (all must exist)."""
    build: Callable[[Path], Path] | None = None
    """Writes the catalog file into a folder from ``sources`` (None: the single source is the file)."""

    def available(self) -> bool:
        """Whether the shared files are there (the shared folder is optional in a bare checkout)."""
        return all(source.is_file() for source in self.sources)

    def csv_path(self, work_dir: Path) -> Path:
        """The file to ingest; a built catalog is written into ``work_dir`` first."""
        if not self.available():
            missing = ", ".join(str(s) for s in self.sources if not s.is_file())
            raise FileNotFoundError(f"shared catalog {self.name!r} is incomplete: {missing} missing")
        if self.build is None:
            return self.sources[0]
        return self.build(work_dir)


SHARED_CATALOGS: dict[str, SharedCatalog] = {
    catalog.name: catalog for catalog in (
        SharedCatalog("myntra", MAPPINGS / "myntra.yml", (CATALOGS / "myntra_styles.csv",)),
        SharedCatalog("ikea", MAPPINGS / "ikea.yml", (CATALOGS / "ikea_sa.csv",)),
        SharedCatalog(
            "flipkart", MAPPINGS / "flipkart_full.yml",
            tuple(CATALOGS / f for f in ("flipkart_sample.csv", "flipkart_names_categories_20k.csv",
                                         "flipkart_full_columns_1k.csv")),
            build=lambda folder: ensure_flipkart(folder / FLIPKART_JOINED),
        ),
    )
}
