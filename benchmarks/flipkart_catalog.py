"""Write the joined Flipkart catalog (names and prices + category trees + descriptions) for the benchmarks.

    .venv-ml/bin/python benchmarks/flipkart_catalog.py            # writes var/bench/flipkart_joined.csv

The join itself, and how the category trees are cleaned, is ``retrieval.shared_catalogs`` (the
conversation tests build the same file from it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from retrieval.shared_catalogs import (
    CATALOGS,
    FLIPKART_JOINED,
    REPO,
    clean_tree,
    ensure_flipkart,
    specifications,
    tree_levels,
)
from retrieval.shared_catalogs import join_flipkart as join
from retrieval.shared_catalogs import write_flipkart as write

OUTPUT = REPO / "var" / "bench" / FLIPKART_JOINED
__all__ = ["CATALOGS", "OUTPUT", "clean_tree", "ensure_joined", "join", "specifications", "tree_levels", "write"]


def ensure_joined(path: Path = OUTPUT) -> Path:
    """The joined catalog at the benchmarks' place, (re)written when it is missing or changed."""
    return ensure_flipkart(path)


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
