"""Retrieval benchmark: Myntra ingestion, query encoders, ranking quality, and 1M-vector filtered ANN.

Writes benchmarks/results/retrieval.json and benchmarks/results/retrieval_latency_recall.png.

    .venv-ml/bin/python benchmarks/retrieval_benchmark.py            # everything (~10-15 min on 2 cores)
    .venv-ml/bin/python benchmarks/retrieval_benchmark.py --scale 200000 --skip-ingest   # quicker look

Quality uses a labelled query set built from catalog attributes: "black sports shoes for men" is
relevant to exactly the products whose type, colour and gender are those values. Scale uses
clustered synthetic vectors (not uniform noise, which no ANN index can shortcut) with synthetic
attributes, and recall is measured against exact search under the same filter.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # runnable as a plain script as well as through `make benchmarks`
RESULTS = REPO / "benchmarks" / "results"
MYNTRA = REPO.parent / "shared" / "data" / "catalogs" / "myntra_styles.csv"
TEMPLATES = ("{colour} {ptype} for {gender}", "{gender_pos} {colour} {ptype}", "{ptype} in {colour} for {gender}")


def pct(values: list[float], q: float) -> float:
    """Percentile in milliseconds, rounded for the report."""
    return round(float(np.percentile(np.asarray(values) * 1000, q)), 3)


def bench_ingest(settings: Any, skip: bool) -> dict[str, Any]:
    """Full Myntra catalog through the myntra mapping: SQL rows, embeddings, index."""
    from retrieval.ingest import ingest

    if skip and (settings.resolved_index_dir / "myntra" / "manifest.json").is_file():
        return {}
    report = ingest(settings, progress=True)
    print(report.summary())
    return {"myntra_seconds": round(report.seconds, 1), "myntra_items": report.ingested,
            "myntra_skipped": len(report.skipped), "encoder_backend": settings.ingest_backend,
            "index_kind": "flat"}


def labelled_queries(products: list[Any], n: int, seed: int = 0) -> list[tuple[str, tuple[str, str, str]]]:
    """Queries from frequent (type, colour, gender) triples, phrased three ways."""
    counts = Counter((p.product_type, p.colour, p.gender) for p in products
                     if p.product_type and p.colour and p.gender in ("Men", "Women", "Boys", "Girls"))
    triples = sorted(t for t, c in counts.items() if c >= 15)
    rng = np.random.default_rng(seed)
    chosen = [triples[i] for i in rng.choice(len(triples), size=min(n, len(triples)), replace=False)]
    queries = []
    for i, (ptype, colour, gender) in enumerate(chosen):
        text = TEMPLATES[i % len(TEMPLATES)].format(colour=colour.lower(), ptype=ptype.lower(), gender=gender.lower(),
                                                    gender_pos=f"{gender.lower()}'s")
        queries.append((text, (ptype, colour, gender)))
    return queries


def precision_at_10(retriever: Any, queries: list[tuple[str, tuple[str, str, str]]], **kwargs: Any) -> tuple[float, list[float]]:
    """Mean P@10 (share of the top 10 with all three attributes) and per-query latencies."""
    precisions, times = [], []
    for text, (ptype, colour, gender) in queries:
        start = time.perf_counter()
        hits = retriever.search(text, top_k=10, **kwargs)
        times.append(time.perf_counter() - start)
        good = sum((h.product.product_type, h.product.colour, h.product.gender) == (ptype, colour, gender) for h in hits)
        precisions.append(good / 10)
    return round(float(np.mean(precisions)), 4), times


def bench_quality(retriever: Any, queries: list[tuple[str, tuple[str, str, str]]]) -> dict[str, Any]:
    """The three methods in one run, plus the fusion variants that were compared."""
    out: dict[str, Any] = {"queries": len(queries), "example_queries": [q for q, _ in queries[:6]]}
    default_boost, default_alpha = retriever.boost, retriever.alpha
    retriever.boost = 0.0
    for name, method in (("semantic", "semantic"), ("lexical", "lexical"), ("hybrid_blend_no_boost", "blend"),
                         ("hybrid_rrf_no_boost", "rrf")):
        out[f"{name}_p_at_10"], _ = precision_at_10(retriever, queries, method=method)
    for alpha in (0.3, 0.5, 0.7):
        retriever.alpha = alpha
        out[f"hybrid_blend_alpha_{alpha}_no_boost_p_at_10"], _ = precision_at_10(retriever, queries, method="blend")
    retriever.alpha = default_alpha
    for boost in (0.05, 0.1, 0.2):
        retriever.boost = boost
        out[f"hybrid_boost_{boost}_p_at_10"], _ = precision_at_10(retriever, queries, method="blend")
    retriever.boost = default_boost
    out["hybrid_p_at_10"], times = precision_at_10(retriever, queries)
    out["hybrid_config"] = {"method": retriever.method, "alpha": retriever.alpha, "attribute_boost": retriever.boost}
    out["hybrid_search_p50_ms"], out["hybrid_search_p99_ms"] = pct(times, 50), pct(times, 99)
    print("quality", {k: v for k, v in out.items() if k.endswith("p_at_10")})
    return out


def bench_encoders(settings: Any, retriever: Any, queries: list[tuple[str, tuple[str, str, str]]]) -> dict[str, Any]:
    """Per-query encode latency of torch vs ONNX Runtime fp32/int8, and whether rankings stay the same."""
    from retrieval.encoder import Encoder
    from retrieval.onnx_encoder import OnnxQueryEncoder

    onnx_dir = settings.resolved_index_dir / "query-encoder"
    encoders = {"torch": Encoder(settings.encoder_dir, threads=settings.search_threads),
                "onnx_fp32": OnnxQueryEncoder(onnx_dir, variant="fp32", threads=settings.search_threads),
                "onnx_int8": OnnxQueryEncoder(onnx_dir, variant="int8", threads=settings.search_threads)}
    texts = [q for q, _ in queries]
    reference = {q: [h.product.id for h in retriever.search(q, top_k=10, method="semantic")] for q in texts} \
        if isinstance(retriever.query_encoder, Encoder) else None
    out: dict[str, Any] = {}
    original, boost = retriever.query_encoder, retriever.boost
    retriever.boost = 0.0  # pure semantic ranking: the encoders are what differs
    runs: dict[str, dict[str, list[str]]] = {}
    for name, enc in encoders.items():
        enc.encode_query("warm up")
        times = []
        for q in texts:
            start = time.perf_counter()
            enc.encode_query(q)
            times.append(time.perf_counter() - start)
        retriever.query_encoder = enc
        runs[name] = {q: [h.product.id for h in retriever.search(q, top_k=10, method="semantic")] for q in texts}
        p10, _ = precision_at_10(retriever, queries, method="semantic")
        out[name] = {"p50_ms": pct(times, 50), "p99_ms": pct(times, 99), "semantic_p_at_10": p10}
    retriever.query_encoder, retriever.boost = original, boost
    reference = reference or runs["torch"]
    for name, run in runs.items():
        out[name]["overlap_at_10_vs_torch"] = round(float(np.mean([len(set(run[q]) & set(reference[q])) / 10 for q in texts])), 4)
    out["chosen_for_queries"] = settings.query_encoder
    print("encoders", out)
    return out


def synthetic_catalog(n: int, dim: int, seed: int = 0) -> tuple[np.ndarray, dict[str, Any], np.ndarray]:
    """Unit vectors in 2,000 clusters grouped under 200 super-clusters (neighbourhoods overlap, as product
    families do), attributes correlated with clusters, and the cluster centres."""
    rng = np.random.default_rng(seed)
    supers = rng.standard_normal((200, dim), dtype=np.float32)
    centres = supers[rng.integers(0, len(supers), 2000)] + 0.8 * rng.standard_normal((2000, dim), dtype=np.float32)
    assign = rng.integers(0, len(centres), n)
    vectors = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        chunk = centres[assign[start:stop]] + 1.2 * rng.standard_normal((stop - start, dim), dtype=np.float32)
        vectors[start:stop] = chunk / np.linalg.norm(chunk, axis=1, keepdims=True)
    ptype = np.where(rng.random(n) < 0.8, assign % 40, rng.integers(0, 40, n))
    colour = np.minimum(rng.zipf(1.6, n) - 1, 19)
    gender = rng.choice(5, n, p=[0.45, 0.4, 0.06, 0.05, 0.04])
    attrs = {"product_type": [f"type{t}" for t in ptype], "colour": [f"colour{c}" for c in colour],
             "gender": [("Men", "Women", "Boys", "Girls", "Unisex")[g] for g in gender],
             "price": rng.uniform(5, 300, n)}
    return vectors, attrs, centres


def bench_scale(n: int, nq: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Unfiltered nprobe sweep and filtered strategies (pre / post / auto) on ``n`` synthetic vectors."""
    import faiss

    from retrieval import ann
    from retrieval.filtering import AttributeTable
    from retrieval.index import VectorIndex
    from retrieval.types import Filters

    started = time.perf_counter()
    vectors, attrs, centres = synthetic_catalog(n, 384)
    row_ids = np.arange(n, dtype=np.int64)
    columns = {name: values for name, values in attrs.items() if name != "price"}
    table = AttributeTable(row_ids, columns, attrs["price"], [])
    print(f"scale: {n} vectors generated in {time.perf_counter() - started:.0f} s")
    rng = np.random.default_rng(1)
    queries = centres[rng.integers(0, len(centres), nq)] + 1.2 * rng.standard_normal((nq, 384), dtype=np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    filter_classes = {
        "gender (~45%)": Filters.where(gender=["Men"]),
        "gender+price (~20%)": Filters.where(gender=["Women"], price_min=50, price_max=200),
        "colour+price (~9%)": Filters.where(colour=["colour1", "colour2"], price_max=100),
        "type (~2.5%)": Filters.where(product_type=["type7"]),
        "type+colour (~0.5%)": Filters.where(product_type=["type3"], colour=["colour0"], exclude={"colour": ["colour1"]}),
    }
    names = list(filter_classes)
    query_filter = [names[i % len(names)] for i in range(nq)]
    masks = {name: table.mask(f) for name, f in filter_classes.items()}
    t0 = time.perf_counter()
    scores = np.empty((n, nq), dtype=np.float32)
    for start in range(0, n, 100_000):
        scores[start:start + 100_000] = vectors[start:start + 100_000] @ queries.T
    truth_all = [set(np.argpartition(-scores[:, j], 10)[:10].tolist()) for j in range(nq)]
    truth_filtered = []
    for j in range(nq):
        col = np.where(masks[query_filter[j]], scores[:, j], -np.inf)
        truth_filtered.append(set(np.argpartition(-col, 10)[:10].tolist()))
    del scores
    print(f"scale: exact ground truth in {time.perf_counter() - t0:.0f} s")
    t0 = time.perf_counter()
    faiss.omp_set_num_threads(2)  # build on both cores
    index = VectorIndex.build(vectors, row_ids)
    build_s = time.perf_counter() - t0
    faiss.omp_set_num_threads(1)  # latency of one request on one core, as Retriever.open sets it
    print(f"scale: {index.kind} index (nlist {index.nlist}) built in {build_s:.0f} s")

    def run(nprobe: int, strategy: str | None) -> tuple[list[float], list[float], list[str]]:
        times, recalls = [], []
        for j in range(nq):
            start = time.perf_counter()
            if strategy is None:
                _, ids = ann.search(index, queries[j], 10, bitmap=None, nprobe=nprobe)
                truth = truth_all[j]
            else:
                mask = table.mask(filter_classes[query_filter[j]])
                assert mask is not None
                bitmap = ann.allowed_bitmap(row_ids, mask)
                _, ids = ann.search(index, queries[j], 10, bitmap=bitmap, selectivity=table.selectivity(mask),
                                    strategy=strategy, nprobe=nprobe)
                truth = truth_filtered[j]
            times.append(time.perf_counter() - start)
            recalls.append(len(set(ids.tolist()) & truth) / 10)
        return times, recalls, query_filter

    sweep = []
    for nprobe in (4, 8, 16, 32, 64, 128):
        times, recalls, _ = run(nprobe, None)
        sweep.append({"nprobe": nprobe, "p50_ms": pct(times, 50), "p99_ms": pct(times, 99), "recall_at_10": round(float(np.mean(recalls)), 4)})
        print("unfiltered", sweep[-1])
    strategies: dict[str, Any] = {}
    for strategy in ("post", "pre", "exact", "auto"):
        times, recalls, classes = run(ann.NPROBE, strategy)
        per_class = {}
        for name in names:
            idx = [i for i, c in enumerate(classes) if c == name]
            per_class[name] = {"selectivity": round(float(masks[name].mean()), 4),
                               "p50_ms": pct([times[i] for i in idx], 50), "p99_ms": pct([times[i] for i in idx], 99),
                               "recall_at_10": round(float(np.mean([recalls[i] for i in idx])), 4)}
        strategies[strategy] = {"p50_ms": pct(times, 50), "p99_ms": pct(times, 99),
                                "recall_at_10": round(float(np.mean(recalls)), 4), "per_filter": per_class}
        print("filtered", strategy, {k: v for k, v in strategies[strategy].items() if k != "per_filter"})
    chosen = next(s for s in sweep if s["nprobe"] == ann.NPROBE)
    result = {
        "n": n, "dim": 384, "queries": nq, "index": f"{index.kind} nlist={index.nlist}", "build_seconds": round(build_s, 1),
        "faiss_threads": 1,
        "unfiltered": {**chosen, "sweep": sweep},
        "filtered": {"strategy": "auto", "p50_ms": strategies["auto"]["p50_ms"], "p99_ms": strategies["auto"]["p99_ms"],
                     "recall_at_10": strategies["auto"]["recall_at_10"], "strategies": strategies,
                     "note": "latency includes computing the attribute mask and the FAISS bitmap selector"},
    }
    return result, {"sweep": sweep, "strategies": strategies}


def plot(scale: dict[str, Any], path: Path) -> None:
    """Latency (p99) vs recall@10: the unfiltered nprobe sweep and each filtered strategy per filter class."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.5))
    sweep = scale["sweep"]
    ax.plot([s["recall_at_10"] for s in sweep], [s["p99_ms"] for s in sweep], "o-", color="black", label="unfiltered (nprobe sweep)")
    for s in sweep:
        ax.annotate(str(s["nprobe"]), (s["recall_at_10"], s["p99_ms"]), textcoords="offset points", xytext=(4, 4), fontsize=7)
    markers = {"post": "s", "pre": "^", "exact": "D", "auto": "*"}
    colours = plt.cm.tab10.colors  # type: ignore[attr-defined]
    for strategy, data in scale["strategies"].items():
        for k, (name, c) in enumerate(data["per_filter"].items()):
            ax.scatter(c["recall_at_10"], c["p99_ms"], marker=markers[strategy], color=colours[k], s=70 if strategy == "auto" else 35,
                       label=f"{strategy}: {name}" if strategy != "auto" or k == 0 else None)
    ax.axhline(10, color="grey", ls="--", lw=0.8)
    ax.axvline(0.95, color="grey", ls="--", lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel("recall@10 (vs exact search with the same filter)")
    ax.set_ylabel("p99 latency per query (ms, 1 thread)")
    ax.set_title("1M x 384 clustered vectors, IVF-Flat + bitmap filters")
    ax.legend(fontsize=6, loc="upper left", ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    """Run the selected parts and write the JSON (merged with a previous run's parts that were skipped)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--var-dir", type=Path, default=Path(tempfile.gettempdir()) / "shop-retrieval-bench")
    parser.add_argument("--skip-ingest", action="store_true", help="reuse an existing Myntra store in --var-dir")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--only-scale", action="store_true", help="skip ingest, quality and encoders")
    parser.add_argument("--scale", type=int, default=1_000_000)
    parser.add_argument("--scale-queries", type=int, default=300)
    parser.add_argument("--quality-queries", type=int, default=150)
    args = parser.parse_args()

    from retrieval.search import Retriever
    from shop.settings import Settings

    RESULTS.mkdir(parents=True, exist_ok=True)
    out_path = RESULTS / "retrieval.json"
    result: dict[str, Any] = json.loads(out_path.read_text()) if out_path.is_file() else {}
    result["machine"] = {"cpus": os.cpu_count(), "platform": platform.platform(), "load_average": os.getloadavg()}
    settings = Settings(var_dir=args.var_dir, catalog_path=MYNTRA, catalog_mapping=REPO / "retrieval" / "mappings" / "myntra.yml")
    if not args.only_scale:
        ingest_result = bench_ingest(settings, args.skip_ingest)
        if ingest_result:
            result["ingest"] = ingest_result
        retriever = Retriever.open(settings)
        queries = labelled_queries(retriever.snapshot.products, args.quality_queries)
        result["quality"] = bench_quality(retriever, queries)
        result["encoder"] = bench_encoders(settings, retriever, queries)
    if not args.skip_scale:
        scale, series = bench_scale(args.scale, args.scale_queries)
        result["scale_1m" if args.scale == 1_000_000 else f"scale_{args.scale}"] = scale
        plot(series, RESULTS / "retrieval_latency_recall.png")
    out_path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main()
