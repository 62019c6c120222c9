"""Join the three Flipkart files into one catalog with each product's category tree.

    .venv-ml/bin/python benchmarks/flipkart_catalog.py            # writes var/bench/flipkart_joined.csv

Sources (../shared/data/catalogs, see PROVENANCE.md): ``flipkart_sample.csv`` (names, prices,
brands; 20,000 rows), ``flipkart_names_categories_20k.csv`` (no header: uniq_id, name, category
tree as a one-string JSON list) and ``flipkart_full_columns_1k.csv`` (descriptions and
specifications of the first 999). Rows are joined by ``uniq_id`` and written in the order of
``flipkart_sample.csv``, so the output is the same byte for byte on every run.

The tree is cleaned before it is written, so that every level is a category (documented because the
category benchmark's labels are these levels):

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

import argparse
import csv
import io
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CATALOGS = REPO.parent / "shared" / "data" / "catalogs"
OUTPUT = REPO / "var" / "bench" / "flipkart_joined.csv"
TREE_SEPARATOR = " >> "
COLUMNS = ("uniq_id", "product_name", "brand", "discounted_price", "retail_price", "product_rating", "category_tree",
           "description", "specifications")
_SPEC = re.compile(r'\{(?:"key"=>"(?P<key>(?:[^"\\]|\\.)*)",\s*)?"value"=>"(?P<value>(?:[^"\\]|\\.)*)"\}')


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
    for match in _SPEC.finditer(raw or ""):
        key, value = (match.group("key") or "").strip(), match.group("value").strip()
        if value:
            pairs.append(f"{key}: {value}" if key else value)
    return "; ".join(pairs)


def read_dicts(path: Path) -> list[dict[str, str]]:
    """CSV rows by header name; rows of only empty fields are dropped."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return [row for row in csv.DictReader(handle) if any((v or "").strip() for v in row.values())]


def read_lists(path: Path) -> list[list[str]]:
    """CSV rows of a file without a header; rows of only empty fields are dropped."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return [row for row in csv.reader(handle) if any(v.strip() for v in row)]


def join(catalogs: Path = CATALOGS) -> list[dict[str, str]]:
    """The joined rows, in the order of ``flipkart_sample.csv``."""
    sample = read_dicts(catalogs / "flipkart_sample.csv")
    trees = {row[0]: row[2] for row in read_lists(catalogs / "flipkart_names_categories_20k.csv")}
    full = {row["uniq_id"]: row for row in read_dicts(catalogs / "flipkart_full_columns_1k.csv")}
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


def render(rows: list[dict[str, str]]) -> str:
    """The joined catalog as CSV text (UTF-8, LF, fields quoted where needed)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write(rows: list[dict[str, str]], path: Path) -> Path:
    """Write the joined catalog (atomically)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(render(rows).encode("utf-8"))
    tmp.replace(path)
    return path


def ensure_joined(path: Path = OUTPUT) -> Path:
    """The joined catalog, (re)written when it is missing or the join now gives something else (about a second)."""
    rows = join()
    if not path.is_file() or path.read_bytes() != render(rows).encode("utf-8"):
        write(rows, path)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=OUTPUT)
    args = parser.parse_args()
    rows = join()
    write(rows, args.out)
    with_tree = sum(1 for r in rows if r["category_tree"])
    print(f"wrote {args.out}: {len(rows)} products, {with_tree} with a category tree, "
          f"{sum(1 for r in rows if r['description'])} with a description")
    return 0


if __name__ == "__main__":
    sys.exit(main())
