"""Retrieval benchmark: ingestion time, ranking quality with independent labels, query encoders, ANN at scale.

Writes benchmarks/results/retrieval.json and benchmarks/results/retrieval_latency_recall.png.

    .venv-ml/bin/python benchmarks/retrieval_benchmark.py                          # every part (~45 min on 2 cores, cold cache)
    .venv-ml/bin/python benchmarks/retrieval_benchmark.py --parts known_item category   # quality only (~10 min once cached)
    .venv-ml/bin/python benchmarks/retrieval_benchmark.py --parts scale_real scale_1m --scale 200000   # smaller fitted set

Parts (a part that is not run keeps its previous figures in the JSON):

* ``ingest``: the full Myntra file through a fresh store, timed (embeds everything; fills the vector cache).
* ``known_item``: Myntra, Flipkart and IKEA; queries are reworded product titles (``known_item.py``),
  the label is the product. MRR@10 and recall@10 per ranking, without and with the conversation's
  filters (``retrieval_quality.py``).
* ``category``: Flipkart category names against the category tree (``flipkart_catalog.py``): NDCG@10.
* ``reviewed``: the relevance labels staff gave in the console's review queue (``review.export``:
  ``benchmarks/data/reviewed_relevance.jsonl``, grades 0 wrong, 1 partly, 2 right), as an extra labelled
  set: graded NDCG@10 of the shipped search over the judged products of each reviewed query.
* ``encoder``: per-query latency of torch and ONNX fp32/int8 query encoders, and the semantic MRR@10 each gives.
* ``scale_real``: IVF and HNSW against exact search on each catalog's real vectors (``ann_scale.py``).
* ``scale_1m``: the same at 1M vectors sampled from a mixture fitted to the real ones, real queries.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # runnable as a plain script as well as through `make benchmarks`

from benchmarks import ann_scale, retrieval_quality  # noqa: E402
from benchmarks.catalog_stores import open_catalog, settings_for  # noqa: E402
from benchmarks.known_item import DROP, MIN_WORDS, SWAP, known_items  # noqa: E402
from benchmarks.measure import machine  # noqa: E402

RESULTS = REPO / "benchmarks" / "results"
CATALOGS = ("myntra", "flipkart", "ikea")
PARTS = ("ingest", "known_item", "category", "reviewed", "encoder", "scale_real", "scale_1m")


def bench_ingest() -> dict[str, Any]:
    """The full Myntra catalog through its mapping into a fresh store: SQL rows, embeddings, index (timed, nothing cached)."""
    from retrieval.ingest import ingest

    with tempfile.TemporaryDirectory() as var_dir:
        settings = settings_for("myntra", Path(var_dir))
        report = ingest(settings, progress=True)
    print(report.summary(), flush=True)
    return {"myntra_seconds": round(report.seconds, 1), "myntra_items": report.ingested, "myntra_skipped": len(report.skipped),
            "encoder_backend": settings.ingest_backend, "index_kind": "flat", "load_average": os.getloadavg()}


def bench_known_item(retrievers: dict[str, Any], queries: dict[str, list[retrieval_quality.Query]]) -> dict[str, Any]:
    """MRR@10 and recall@10 of the known item per catalog, ranking and filter mode."""
    metrics = {"mrr_at_10": retrieval_quality.mrr_at_k, "recall_at_10": retrieval_quality.found_at_k}
    out: dict[str, Any] = {"protocol": {"drop": DROP, "swap": SWAP, "min_words": MIN_WORDS, "k": retrieval_quality.K,
                                        "methods": {k: {"method": m, "attribute_boost": b} for k, (m, b) in retrieval_quality.METHODS.items()}}}
    for name, retriever in retrievers.items():
        print(f"known items: {name} ({len(queries[name])} queries)", flush=True)
        scores, times = retrieval_quality.rank_all(retriever, queries[name], metrics, retriever.boost)
        out[name] = {"queries": len(queries[name]), "products": len(retriever.snapshot.products),
                     "examples": [q.text for q in queries[name][:8]],
                     **retrieval_quality.filter_diagnostics(retriever, queries[name]),
                     **retrieval_quality.report(scores, queries[name]),
                     "shipped_search_ms": {mode: {"p50": retrieval_quality.pct(t, 50), "p99": retrieval_quality.pct(t, 99)}
                                           for mode, t in times.items()}}
    return out


def bench_category(retriever: Any, seed: int) -> dict[str, Any]:
    """NDCG@10 of Flipkart category names against the products under them."""
    queries = retrieval_quality.category_queries(retriever.snapshot.products, seed=seed)
    lookup = retrieval_quality.vocabulary_lookup(retriever)
    for query in queries:
        query.filters = retrieval_quality.dialogue_filters(query.text, lookup)
    print(f"categories: {len(queries)} queries", flush=True)
    scores, _ = retrieval_quality.rank_all(retriever, queries, {"ndcg_at_10": retrieval_quality.ndcg_at_k}, retriever.boost)
    label_filters = 0
    for query in queries:
        mask = retriever.table.mask(query.filters)
        if mask is not None and {retriever.snapshot.products[i].id for i in np.flatnonzero(mask)} <= query.relevant:
            label_filters += 1
    return {"queries": len(queries), "by_kind": {k: sum(q.kind == k for q in queries) for k in ("leaf", "two_levels")},
            "examples": [q.text for q in queries[:: max(1, len(queries) // 8)]][:8], "min_products": 5,
            "median_relevant": int(np.median([len(q.relevant) for q in queries])),
            "filter_within_label_share": round(label_filters / max(len(queries), 1), 4),
            **retrieval_quality.filter_diagnostics(retriever, queries), **retrieval_quality.report(scores, queries)}


def graded_ndcg_at_k(ranked: list[str], grades: dict[str, int], k: int = retrieval_quality.K) -> float:
    """NDCG@k with gains 2^grade - 1 over the judged products (unjudged ones count as 0)."""
    import math

    dcg = sum((2 ** grades.get(pid, 0) - 1) / math.log2(i + 2) for i, pid in enumerate(ranked[:k]))
    ideal = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(sorted(grades.values(), reverse=True)[:k]))
    return dcg / ideal if ideal else 0.0


def bench_reviewed(labels_file: Path) -> dict[str, Any]:
    """Graded NDCG@10 on the reviewers' labels, per catalog they were given on (catalogs this benchmark can open)."""
    from collections import defaultdict

    from retrieval.search import Retriever
    from shop.settings import get_settings

    if not labels_file.is_file():
        return {"queries": 0, "note": f"no reviewed labels yet ({labels_file.relative_to(REPO)} is written by the console's export)"}
    grouped: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for line in labels_file.read_text(encoding="utf-8").splitlines():
        label = json.loads(line)
        grouped[label["catalog"]][label["query"]][str(label["product_id"])] = int(label["grade"])
    out: dict[str, Any] = {"queries": sum(len(q) for q in grouped.values()), "labels_file": str(labels_file.relative_to(REPO))}
    known = {"myntra": "myntra", "flipkart_full": "flipkart", "ikea": "ikea"}
    for catalog, queries in sorted(grouped.items()):
        judged = {q: g for q, g in queries.items() if any(v > 0 for v in g.values())}
        if catalog == "demo":
            retriever = Retriever.open(get_settings())  # the embedded default's own store
        elif catalog in known:
            retriever = open_catalog(known[catalog])
        else:
            out[catalog] = {"queries": len(queries), "note": "catalog not available to this benchmark"}
            continue
        scores = [graded_ndcg_at_k([h.product.id for h in retriever.search(q, None, top_k=retrieval_quality.K)], g)
                  for q, g in judged.items()]
        out[catalog] = {"ndcg_at_10": retrieval_quality.summary(scores) if scores else None,
                        "queries_with_a_relevant_product": len(judged), "queries": len(queries)}
    return out


def bench_encoders(retriever: Any, queries: list[retrieval_quality.Query]) -> dict[str, Any]:
    """Per-query encode latency of torch vs ONNX Runtime fp32/int8, and the semantic MRR@10 on Myntra known items with each."""
    from retrieval.encoder import Encoder
    from retrieval.onnx_encoder import OnnxQueryEncoder

    settings = settings_for("myntra")
    onnx_dir = settings.resolved_index_dir / "query-encoder"
    encoders: dict[str, Any] = {"torch": Encoder(settings.encoder_dir, threads=settings.search_threads),
                "onnx_fp32": OnnxQueryEncoder(onnx_dir, variant="fp32", threads=settings.search_threads),
                "onnx_int8": OnnxQueryEncoder(onnx_dir, variant="int8", threads=settings.search_threads)}
    original, boost = retriever.query_encoder, retriever.boost
    retriever.boost = 0.0  # pure semantic ranking: the encoders are what differs
    out: dict[str, Any] = {}
    runs: dict[str, list[list[str]]] = {}
    try:
        for name, enc in encoders.items():
            enc.encode_query("warm up")
            times = []
            for query in queries:
                start = time.perf_counter()
                enc.encode_query(query.text)
                times.append(time.perf_counter() - start)
            retriever.query_encoder = enc
            runs[name] = [[h.product.id for h in retriever.search(q.text, top_k=10, method="semantic")] for q in queries]
            mrr = [retrieval_quality.mrr_at_k(r, q.relevant) for r, q in zip(runs[name], queries, strict=True)]
            out[name] = {"p50_ms": retrieval_quality.pct(times, 50), "p99_ms": retrieval_quality.pct(times, 99),
                         "semantic_mrr_at_10": retrieval_quality.summary(mrr)}
    finally:
        retriever.query_encoder, retriever.boost = original, boost
    for name, run in runs.items():
        out[name]["overlap_at_10_vs_torch"] = round(float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(run, runs["torch"], strict=True)])), 4)
    out["chosen_for_queries"] = settings.query_encoder
    out["queries"] = f"{len(queries)} Myntra known-item queries"
    print("encoders", {k: v for k, v in out.items() if isinstance(v, dict)}, flush=True)
    return out


def query_vectors(retriever: Any, queries: list[retrieval_quality.Query]) -> np.ndarray:
    """The queries as the shipped query encoder embeds them."""
    return np.stack([retriever.query_encoder.encode_query(q.text) for q in queries]).astype(np.float32)


def pooled(parts: list[tuple[list[float], list[float]]]) -> dict[str, float | int]:
    """p50/p99 and recall over the queries of several catalogs together."""
    return ann_scale.stats([t for times, _ in parts for t in times], [r for _, recalls in parts for r in recalls])


def bench_scale_real(retrievers: dict[str, Any], queries: dict[str, list[retrieval_quality.Query]]) -> dict[str, Any]:
    """IVF and HNSW vs exact on each real catalog, with the known-item queries and their filters; pooled figures under ``ivf``."""
    out: dict[str, Any] = {}
    raws = []
    for name, retriever in retrievers.items():
        vectors = retriever.vectors(np.arange(len(retriever.snapshot.products)))
        qv = query_vectors(retriever, queries[name])
        result = ann_scale.measure(vectors, retriever.table, qv, [q.filters for q in queries[name]], label=name)
        raws.append(result.pop("raw"))
        out[name] = result
    out["ivf"] = {**pooled([r["unfiltered"] for r in raws]), "nprobe": ann_scale.ann.NPROBE,
                  "filtered": {**pooled([r["filtered"] for r in raws if "filtered" in r]), "strategy": "auto"},
                  "note": "every catalog's queries together; per catalog under <catalog>.ivf"}
    return out


def bench_scale_1m(retrievers: dict[str, Any], queries: dict[str, list[retrieval_quality.Query]], n: int, per_catalog: int,
                   components: int, hnsw: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """``n`` vectors from a mixture fitted to every catalog's vectors; queries: ``per_catalog`` real queries per catalog."""
    from retrieval.filtering import AttributeTable

    started = time.perf_counter()
    pool = np.concatenate([r.vectors(np.arange(len(r.snapshot.products))) for r in retrievers.values()])
    products = [p for r in retrievers.values() for p in r.snapshot.products]
    chosen = {name: qs[:per_catalog] for name, qs in queries.items()}
    qv = np.concatenate([query_vectors(retrievers[name], qs) for name, qs in chosen.items()])
    filters = [q.filters for qs in chosen.values() for q in qs]
    assign, _ = ann_scale.fit_mixture(pool, components)
    vectors, parent = ann_scale.sample_mixture(pool, assign, n)
    table = AttributeTable.from_products(np.arange(n, dtype=np.int64), [products[i] for i in parent])
    print(f"scale_1m: {n} vectors from {components} components in {time.perf_counter() - started:.0f} s", flush=True)
    real_contrast = ann_scale.neighbourhood(pool, qv)
    contrast = ann_scale.neighbourhood(vectors, qv)
    subsample = np.random.default_rng(1).choice(n, size=len(pool), replace=False)
    contrast_same_n = ann_scale.neighbourhood(vectors[subsample], qv)
    print("relative contrast: real", real_contrast, "fitted 1M", contrast, "fitted at real n", contrast_same_n, flush=True)
    result = ann_scale.measure(vectors, table, qv, filters, hnsw=hnsw, label=f"{n}")
    result.pop("raw")
    ivf = result["ivf"]
    scale = {
        "n": n, "dim": vectors.shape[1], "queries": len(qv), "filtered_queries": result["filtered_queries"],
        "generator": {"kind": "Gaussian mixture fitted to the real product vectors", "real_vectors": len(pool),
                      "components": components, "shrink": ann_scale.SHRINK,
                      "queries": f"{per_catalog} real known-item queries per catalog, with their conversation filters"},
        "relative_contrast": contrast, "relative_contrast_at_real_n": contrast_same_n,
        "unfiltered": ivf["unfiltered"], "filtered": ivf.get("filtered", {}), "index": ivf["index"],
        "build_seconds": ivf["build_seconds"], "faiss_threads": 1, "seconds": round(time.perf_counter() - started, 1),
    }
    if "hnsw" in result:
        scale["hnsw"] = result["hnsw"]
    return scale, {"real_relative_contrast": real_contrast}


def plot(real: dict[str, Any], big: dict[str, Any], path: Path) -> None:
    """Latency vs recall@10: IVF nprobe sweeps (real catalogs, fitted 1M; p50 solid, p99 dotted) and the 1M filtered strategies."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.5))
    series = {f"{name} (real, {data['n']:,})": data["ivf"]["unfiltered"]["sweep"] for name, data in real.items() if name in CATALOGS}
    if big:
        series[f"fitted {big['n']:,}"] = big["unfiltered"]["sweep"]
    for (label, sweep), colour in zip(series.items(), plt.cm.tab10.colors, strict=False):  # type: ignore[attr-defined]
        recalls = [s["recall_at_10"] for s in sweep]
        ax.plot(recalls, [s["p50_ms"] for s in sweep], "o-", color=colour, ms=4, label=f"{label}: IVF nprobe sweep, p50")
        ax.plot(recalls, [s["p99_ms"] for s in sweep], "o:", color=colour, ms=2, lw=0.8, label=f"{label}: p99")
        for s in sweep:
            ax.annotate(str(s["nprobe"]), (s["recall_at_10"], s["p50_ms"]), textcoords="offset points", xytext=(3, -8), fontsize=6)
    markers = {"post": "s", "pre": "^", "exact": "D", "auto": "*"}
    for strategy, data in (big.get("filtered", {}).get("strategies", {}) if big else {}).items():
        ax.scatter(data["recall_at_10"], data["p50_ms"], marker=markers[strategy], s=60, color="black", label=f"fitted 1M filtered {strategy}: p50")
        ax.scatter(data["recall_at_10"], data["p99_ms"], marker=markers[strategy], s=60, facecolors="none", edgecolors="black",
                   label=f"fitted 1M filtered {strategy}: p99")
    ax.axhline(10, color="grey", ls="--", lw=0.8)
    ax.axvline(0.95, color="grey", ls="--", lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel("recall@10 (vs exact search with the same filter)")
    ax.set_ylabel("latency per query (ms, 1 thread, shared 2-core machine)")
    ax.set_title("IVF-Flat on real MiniLM vectors and on 1M fitted to them; real queries")
    ax.legend(fontsize=5, loc="upper left", ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    """Run the selected parts and write the JSON (a part not run keeps its previous figures)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument("--known-items", type=int, default=600, help="known-item queries per catalog")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", type=int, default=1_000_000)
    parser.add_argument("--scale-queries", type=int, default=300, help="real queries per catalog for the fitted set")
    parser.add_argument("--components", type=int, default=1024, help="mixture components fitted to the real vectors")
    parser.add_argument("--hnsw-1m", action="store_true", help="also build and measure HNSW on the fitted set")
    args = parser.parse_args()

    RESULTS.mkdir(parents=True, exist_ok=True)
    out_path = RESULTS / "retrieval.json"
    result: dict[str, Any] = json.loads(out_path.read_text()) if out_path.is_file() else {}
    result.pop("quality", None)  # the attribute-triple P@10 of earlier runs: its labels were the boost's own rule
    result["machine"] = {"cpus": os.cpu_count(), "platform": platform.platform(), "load_average": os.getloadavg(), "description": machine()}
    parts = set(args.parts)

    def save() -> None:  # after every part, so a failure later keeps what was measured
        out_path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")

    if "ingest" in parts:
        result["ingest"] = bench_ingest()
        save()
    retrievers: dict[str, Any] = {}
    queries: dict[str, list[retrieval_quality.Query]] = {}
    if parts & {"known_item", "category", "encoder", "scale_real", "scale_1m"}:
        for name in CATALOGS:
            retrievers[name] = open_catalog(name)
            items = known_items(retrievers[name].snapshot.products, name, args.known_items, seed=args.seed)
            queries[name] = retrieval_quality.known_item_queries(retrievers[name], items)
    if "known_item" in parts:
        result["known_item"] = bench_known_item(retrievers, queries)
        save()
    if "category" in parts:
        result["flipkart_category"] = bench_category(retrievers["flipkart"], args.seed)
        save()
    if "reviewed" in parts:
        result["reviewed"] = bench_reviewed(REPO / "benchmarks" / "data" / "reviewed_relevance.jsonl")
        save()
    if "encoder" in parts:
        result["encoder"] = bench_encoders(retrievers["myntra"], queries["myntra"])
        save()
    if "scale_real" in parts:
        result["scale_real"] = {**result.get("scale_real", {}), **bench_scale_real(retrievers, queries), "load_average": os.getloadavg()}
        save()
    if "scale_1m" in parts:
        key = "scale_1m" if args.scale == 1_000_000 else f"scale_{args.scale}"
        result[key], extra = bench_scale_1m(retrievers, queries, args.scale, args.scale_queries, args.components, args.hnsw_1m)
        result[key]["load_average"] = os.getloadavg()
        result.setdefault("scale_real", {})["relative_contrast"] = extra["real_relative_contrast"]
        save()
    if "scale_real" in result:
        plot(result["scale_real"], result.get("scale_1m", {}), RESULTS / "retrieval_latency_recall.png")
    save()
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main()
