"""The shared catalogs as a shop owner would load them: ingest cost, field coverage, and whether
searching descriptions helps.

    .venv-ml/bin/python benchmarks/catalogs_benchmark.py [--parts ingest coverage descriptions]

* ``ingest``: a fresh ingest of each catalog (Myntra 44k, Flipkart 20k joined with its category
  trees and descriptions, IKEA 3.7k) into an empty SQLite store with the real encoder, timed end to
  end (read, SQL, embedding, FAISS); ``items`` and skipped rows.
* ``coverage``: per catalog, the share of products with each mapped field (``retrieval.check``).
* ``descriptions``: how descriptions enter search. Two settings decide it: ``description_words``
  (words of the description embedded after the title) and ``description_weight`` (BM25 weight of the
  description field). Every pair of a small grid is scored on the tuning seed's queries; the pair with
  the best mean is reported against "title only" (0, 0) on the evaluation seed's queries, which took no
  part in the choice. Queries (labels are the product they were made from, ``known_item.py``):
  - known items: the title reworded (IKEA: name plus short description), as in ``retrieval_benchmark``;
  - description items: the first ``DESCRIPTION_QUERY_WORDS`` words of a product's description
    reworded, for products whose description adds words the title does not have: a customer
    describing what a product does rather than naming it;
  - Flipkart categories: NDCG@10 of category names (``retrieval_quality.category_queries``).
  The shipped search ranks (blend of semantic and BM25, attribute boost on, no filters).

Results merge into ``benchmarks/results/catalogs.json`` (``hot_update`` is written by
``hot_update_benchmark.py``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import retrieval_quality  # noqa: E402
from benchmarks.catalog_stores import cached_encoder, catalog_files, open_catalog, settings_for  # noqa: E402
from benchmarks.known_item import KnownItem, known_items, normalised, product_rng, reword, words_of  # noqa: E402
from benchmarks.measure import bootstrap_ci, machine, merge_results  # noqa: E402

CATALOGS = ("myntra", "flipkart", "ikea")
WORDS_GRID = (0, 8, 16, 32)
WEIGHT_GRID = (0.0, 0.5, 1.0, 1.5, 2.0)
DESCRIPTION_QUERY_WORDS = 10
TUNING_SEED, EVAL_SEED = 11, 23
QUERIES = 400


def bench_ingest(names: list[str]) -> dict[str, Any]:
    """A fresh, uncached ingest of each catalog into its own empty store."""
    from retrieval.ingest import ingest, load_encoder

    out: dict[str, Any] = {}
    for name in names:
        with tempfile.TemporaryDirectory(prefix=f"ingest-{name}-") as var_dir:
            settings = settings_for(name, Path(var_dir))
            encoder = load_encoder(settings)  # loaded before the clock starts: a running service has it already
            started = time.perf_counter()
            report = ingest(settings, encoder=encoder, progress=True)
            seconds = time.perf_counter() - started
        print(report.summary(), flush=True)
        out[name] = {"ingest_seconds": round(seconds, 1), "items": report.ingested, "skipped_rows": len(report.skipped),
                     "items_per_second": round(report.ingested / seconds, 1)}
    return out


def bench_coverage(names: list[str]) -> dict[str, Any]:
    """Share of products with each field, read through the mapping exactly as ingestion reads them."""
    from retrieval.check import check_catalog

    out: dict[str, Any] = {}
    for name in names:
        path, mapping = catalog_files()[name]
        report = check_catalog(path, mapping, sample=1_000_000)
        out[name] = {"field_coverage": {field: round(share, 4) for field, share in report.coverage.items()}}
    return out


def description_items(products: list[Any], n: int, *, seed: int) -> list[KnownItem]:
    """Queries from the start of descriptions that say more than the title (labels: that product and its twins)."""
    sources: dict[str, str] = {}
    for product in products:
        title_words = set(words_of(product.title))
        words = words_of(product.description or "")[:DESCRIPTION_QUERY_WORDS]
        if len([w for w in words if w not in title_words]) >= 3:
            sources[product.id] = " ".join(words)
    by_text: dict[str, list[str]] = {}
    for pid, text in sources.items():
        by_text.setdefault(normalised(text), []).append(pid)
    eligible = sorted(sources)
    chosen = np.random.default_rng(seed).choice(len(eligible), size=min(n, len(eligible)), replace=False)
    return [KnownItem(query=reword(sources[eligible[j]], product_rng(seed, eligible[j])), product_id=eligible[j],
                      source=sources[eligible[j]], equivalents=frozenset(by_text[normalised(sources[eligible[j]])]))
            for j in sorted(chosen.tolist())]


def query_sets(name: str, products: list[Any], seed: int) -> dict[str, list[retrieval_quality.Query]]:
    """The labelled query sets of one catalog for one seed."""
    def as_queries(items: list[KnownItem]) -> list[retrieval_quality.Query]:
        return [retrieval_quality.Query(text=i.query, relevant=i.equivalents) for i in items]

    sets = {"known_item": as_queries(known_items(products, name, QUERIES, seed=seed))}
    described = description_items(products, QUERIES, seed=seed)
    if len(described) >= 50:
        sets["description_item"] = as_queries(described)
    if name == "flipkart":
        sets["category"] = retrieval_quality.category_queries(products, seed=seed, cap=200)
    return sets


METRIC = {"known_item": retrieval_quality.mrr_at_k, "description_item": retrieval_quality.mrr_at_k,
          "category": retrieval_quality.ndcg_at_k}


def score(retriever: Any, sets: dict[str, list[retrieval_quality.Query]]) -> dict[str, list[float]]:
    """Per query set, the metric of every query under the shipped search."""
    return {kind: [METRIC[kind]([h.product.id for h in retriever.search(q.text, top_k=retrieval_quality.K)], q.relevant)
                   for q in queries] for kind, queries in sets.items()}


class Variants:
    """Retrievers over one catalog snapshot that differ only in how descriptions enter search."""

    def __init__(self, base: Any, encoder: Any) -> None:
        self.base, self.encoder = base, encoder
        self.indexes: dict[int, Any] = {}

    def retriever(self, words: int, weight: float) -> Any:
        """The catalog with ``words`` description words embedded and keyword weight ``weight``."""
        from retrieval.catalog import EMBEDDED_FIELDS, product_text
        from retrieval.index import VectorIndex
        from retrieval.search import Retriever

        if words not in self.indexes:
            products = self.base.snapshot.products
            texts = [product_text({f: getattr(p, f) for f in EMBEDDED_FIELDS}, description_words=words) for p in products]
            self.indexes[words] = VectorIndex.build(self.encoder.encode(texts), self.base.snapshot.row_ids, kind="flat")
        return Retriever(self.base.snapshot, self.indexes[words], self.base.query_encoder, alpha=self.base.alpha,
                         boost=self.base.boost, description_weight=weight)


def bench_descriptions(names: list[str]) -> dict[str, Any]:
    """Choose (description_words, description_weight) on the tuning seed; report it against title only on the evaluation seed."""
    variants: dict[str, Variants] = {}
    tuning: dict[str, dict[str, list[retrieval_quality.Query]]] = {}
    evaluation: dict[str, dict[str, list[retrieval_quality.Query]]] = {}
    for name in names:
        base = open_catalog(name)
        if not any(p.description for p in base.snapshot.products):
            print(f"{name}: no descriptions; with and without are the same search", flush=True)
        variants[name] = Variants(base, cached_encoder(settings_for(name)))
        tuning[name] = query_sets(name, base.snapshot.products, TUNING_SEED)
        evaluation[name] = query_sets(name, base.snapshot.products, EVAL_SEED)
    described = [n for n in names if any(p.description for p in variants[n].base.snapshot.products)]
    grid: dict[str, float] = {}
    for words in WORDS_GRID:
        for weight in tqdm(WEIGHT_GRID, desc=f"tuning, {words} description words", unit="weight"):
            means = [float(np.mean(v)) for n in described for v in score(variants[n].retriever(words, weight), tuning[n]).values()]
            grid[f"{words}/{weight}"] = round(float(np.mean(means)), 4)
    best = max(grid, key=lambda key: grid[key])
    words, weight = int(best.split("/")[0]), float(best.split("/")[1])
    print(f"tuning grid (mean over query sets): {grid}; chosen {words} words, weight {weight}", flush=True)
    out: dict[str, Any] = {"descriptions": {"chosen": {"description_words": words, "description_weight": weight},
                                            "tuning_seed": TUNING_SEED, "eval_seed": EVAL_SEED,
                                            "tuning_grid_mean": grid, "queries_per_set": QUERIES}}
    for name in names:
        with_desc = score(variants[name].retriever(words, weight), evaluation[name])
        without = score(variants[name].retriever(0, 0.0), evaluation[name])
        figures: dict[str, Any] = {}
        for kind in with_desc:
            diff = np.asarray(with_desc[kind]) - np.asarray(without[kind])
            low, high = bootstrap_ci(diff.tolist())
            figures[kind] = {"with_descriptions": round(float(np.mean(with_desc[kind])), 4),
                             "without_descriptions": round(float(np.mean(without[kind])), 4),
                             "gain_ci95": [round(low, 4), round(high, 4)], "queries": len(diff),
                             "metric": "ndcg_at_10" if kind == "category" else "mrr_at_10"}
            print(f"{name} {kind}: {figures[kind]}", flush=True)
        out[name] = {"quality": figures,
                     "known_item_mrr_at_10": {"with_descriptions": figures["known_item"]["with_descriptions"],
                                              "without_descriptions": figures["known_item"]["without_descriptions"]}}
    return out


def main() -> None:
    """Run the chosen parts and merge their figures into catalogs.json."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", nargs="+", choices=("ingest", "coverage", "descriptions"), default=["ingest", "coverage", "descriptions"])
    parser.add_argument("--catalogs", nargs="+", choices=CATALOGS, default=list(CATALOGS))
    args = parser.parse_args()
    started = time.perf_counter()
    path = merge_results("catalogs", {"machine": {"description": machine()}})
    parts = {"ingest": bench_ingest, "coverage": bench_coverage, "descriptions": bench_descriptions}
    for part in args.parts:  # merged after each part, so a failure later keeps what was measured
        path = merge_results("catalogs", parts[part](args.catalogs))
    print(f"catalogs benchmark: {', '.join(args.parts)} on {', '.join(args.catalogs)} in {time.perf_counter() - started:.0f} s -> {path}")


if __name__ == "__main__":
    main()
