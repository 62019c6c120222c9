"""Approximate search on real MiniLM vectors, and at 1M on data fitted to them.

Real: every catalog's product vectors (as ingested) with the known-item queries' vectors (encoded
by the shipped query encoder) and the filters the conversation would apply to them. IVF-Flat
(``retrieval.index``, nlist = 4 sqrt(n)) and HNSW are compared with exact search under the same
filter: recall@10 and per-query latency on one thread, the attribute mask and the FAISS bitmap
included.

1M: a Gaussian mixture fitted to the pooled real product vectors. k-means gives the components;
each component's covariance is its members' own covariance, shrunk towards the pooled
within-component covariance (weight ``SHRINK / (m - 1 + SHRINK)`` for m members, so a singleton
takes the pooled shape); a component draws samples in proportion to its size and each sample is
L2-normalised. Every sample takes the attributes of a random member of its component, so filters
select as they do on the real catalogs. The queries are the real queries' vectors, never seen by
the fit, with their real filters. ``relative_contrast`` puts the neighbourhood structure of the 1M
set beside the real set's (a generator whose neighbours stand out more would flatter the index).
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from retrieval import ann
from retrieval.filtering import AttributeTable
from retrieval.index import VectorIndex
from retrieval.types import Filters

K = 10
NPROBES = (4, 8, 16, 32, 64, 128, 256)
EF_SEARCH = (16, 32, 64, 128, 256)
HNSW_M = 32
EF_CONSTRUCTION = 80
SHRINK = 8.0
STRATEGIES = ("post", "pre", "exact", "auto")


# --- neighbourhood structure ---------------------------------------------------------------------
def relative_contrast(top_cosines: np.ndarray, mean_distance: np.ndarray, ranks: Sequence[int] = (1, 10, 100)) -> dict[str, float]:
    """Mean cosine of the k-th neighbour and the relative contrast E[D_mean] / E[D_k] (He et al., 2012).

    ``top_cosines``: per query, the cosines of its nearest items, best first; ``mean_distance``: per
    query, the mean Euclidean distance to the items. Unit vectors: D = sqrt(2 - 2 cos). A contrast
    near 1 means the nearest neighbours hardly stand out: harder for any index.
    """
    out: dict[str, float] = {}
    for rank in ranks:
        if top_cosines.shape[1] >= rank:
            cos = top_cosines[:, rank - 1]
            out[f"cos_at_{rank}"] = round(float(cos.mean()), 4)
            distance = np.sqrt(np.clip(2 - 2 * cos, 0, None))
            out[f"contrast_at_{rank}"] = round(float(mean_distance.mean() / max(distance.mean(), 1e-9)), 4)
    out["mean_cos"] = round(float((1 - mean_distance**2 / 2).mean()), 4)  # from the distances, approximately
    return out


def neighbourhood(vectors: np.ndarray, queries: np.ndarray, *, sample: int = 20_000, seed: int = 0) -> dict[str, float]:
    """``relative_contrast`` of ``queries`` against ``vectors`` (exact top 100; mean distance over a sample)."""
    top = exact_top(vectors, queries, 100)[0]
    rng = np.random.default_rng(seed)
    rows = vectors[rng.choice(len(vectors), size=min(sample, len(vectors)), replace=False)]
    mean_distance = np.sqrt(np.clip(2 - 2 * (queries @ rows.T), 0, None)).mean(axis=1)
    return {**relative_contrast(top, mean_distance), "n": len(vectors), "queries": len(queries)}


def exact_top(vectors: np.ndarray, queries: np.ndarray, k: int, masks: Sequence[np.ndarray | None] | None = None,
              batch: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Exact (cosines, positions) of the ``k`` nearest allowed items per query, best first (-inf / -1 when too few)."""
    cos = np.full((len(queries), k), -np.inf, dtype=np.float32)
    pos = np.full((len(queries), k), -1, dtype=np.int64)
    for start in range(0, len(queries), batch):
        block = np.empty((len(vectors), min(batch, len(queries) - start)), dtype=np.float32)
        for row in range(0, len(vectors), 200_000):
            block[row:row + 200_000] = vectors[row:row + 200_000] @ queries[start:start + batch].T
        for j in range(block.shape[1]):
            column = block[:, j]
            mask = masks[start + j] if masks is not None else None
            if mask is not None:
                column = np.where(mask, column, -np.inf)
            top = np.argpartition(-column, min(k, len(column) - 1))[:k]
            top = top[np.argsort(-column[top], kind="stable")]
            cos[start + j, :len(top)], pos[start + j, :len(top)] = column[top], top
    return cos, pos


# --- timed searches ------------------------------------------------------------------------------
TIE = 1e-4


def recall(found_scores: np.ndarray, truth_cosines: np.ndarray) -> float:
    """recall@k with ties: the share of the k true neighbours matched by results at least as close as the k-th.

    Catalogs repeat titles, so many products share one vector; exact search and an index may return
    different members of a tie, and counting ids would call that a miss. ``truth_cosines`` is the
    exact top k (``-inf`` where fewer items are allowed); results are distinct allowed items.
    """
    valid = int(np.isfinite(truth_cosines).sum())
    if valid == 0:
        return 1.0
    kth = float(truth_cosines[valid - 1])
    return min(int(np.sum(np.asarray(found_scores)[:len(truth_cosines)] >= kth - TIE)), valid) / valid


def stats(times: Sequence[float], recalls: Sequence[float]) -> dict[str, float | int]:
    """p50/p99 in ms and mean recall@10."""
    ms = np.asarray(times) * 1000
    return {"p50_ms": round(float(np.percentile(ms, 50)), 3), "p99_ms": round(float(np.percentile(ms, 99)), 3),
            "recall_at_10": round(float(np.mean(recalls)), 4), "queries": len(recalls)}


def run_ivf(index: VectorIndex, table: AttributeTable, queries: np.ndarray, filters: Sequence[Filters | None],
            truth: np.ndarray, *, strategy: str | None, nprobe: int = ann.NPROBE) -> tuple[list[float], list[float], list[float]]:
    """Times, recalls and selectivities of one pass (``strategy`` None: unfiltered, every query)."""
    times, recalls, selectivity = [], [], []
    for j, query in enumerate(queries):
        start = time.perf_counter()
        if strategy is None:
            scores, _ = ann.search(index, query, K, bitmap=None, nprobe=nprobe)
            sel = 1.0
        else:
            mask = table.mask(filters[j])
            assert mask is not None
            sel = table.selectivity(mask)
            # the index holds positions 0..n-1 as ids, so the mask is the bitmap (``ann.allowed_bitmap``'s fast path)
            scores, _ = ann.search(index, query, K, bitmap=mask, selectivity=sel, strategy=strategy, nprobe=nprobe)
        times.append(time.perf_counter() - start)
        recalls.append(recall(scores, truth[j]))
        selectivity.append(sel)
    return times, recalls, selectivity


def hnsw_index(vectors: np.ndarray, *, m: int = HNSW_M, ef_construction: int = EF_CONSTRUCTION) -> Any:
    """An HNSW graph over ``vectors`` (inner product; ids are positions)."""
    import faiss

    index = faiss.IndexHNSWFlat(vectors.shape[1], m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = ef_construction
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


def run_hnsw(index: Any, table: AttributeTable, queries: np.ndarray, filters: Sequence[Filters | None], truth: np.ndarray,
             *, ef: int, filtered: bool) -> tuple[list[float], list[float]]:
    """Times and recalls of HNSW searches (filtered: FAISS selector over the mask, as IVF pre-filtering)."""
    faiss: Any = importlib.import_module("faiss")  # its stubs lack SearchParametersHNSW

    times, recalls = [], []
    for j, query in enumerate(queries):
        start = time.perf_counter()
        if filtered:
            mask = table.mask(filters[j])
            assert mask is not None
            bits = np.packbits(mask, bitorder="little")
            params = faiss.SearchParametersHNSW(sel=faiss.IDSelectorBitmap(len(bits), faiss.swig_ptr(bits)), efSearch=ef)
        else:
            params = faiss.SearchParametersHNSW(efSearch=ef)
        scores, ids = index.search(query[None, :], K, params=params)
        times.append(time.perf_counter() - start)
        recalls.append(recall(scores[0][ids[0] >= 0], truth[j]))
    return times, recalls


def by_selectivity(times: Sequence[float], recalls: Sequence[float], selectivity: Sequence[float]) -> dict[str, Any]:
    """``stats`` per filter selectivity class (the strategies switch at 5 % and 1 %)."""
    classes = {"over 5%": lambda s: s >= 0.05, "1-5%": lambda s: 0.01 <= s < 0.05, "under 1%": lambda s: s < 0.01}
    out = {}
    for name, test in classes.items():
        idx = [i for i, s in enumerate(selectivity) if test(s)]
        if idx:
            out[name] = stats([times[i] for i in idx], [recalls[i] for i in idx])
    return out


def measure(vectors: np.ndarray, table: AttributeTable, queries: np.ndarray, filters: Sequence[Filters | None], *,
            hnsw: bool = True, label: str = "") -> dict[str, Any]:
    """IVF (nprobe sweep, filtered strategies) and optionally HNSW (efSearch sweep) against exact search.

    ``filters[j]`` is query j's filter (None: the query is only run unfiltered); ``table`` covers ``vectors`` in order.
    """
    import faiss

    n = len(vectors)
    filtered_idx = [j for j, f in enumerate(filters) if f is not None]
    masks = [table.mask(filters[j]) for j in filtered_idx]
    truth_all = exact_top(vectors, queries, K)[0]
    truth_filtered = exact_top(vectors, queries[filtered_idx], K, masks)[0]
    fq, ff = queries[filtered_idx], [filters[j] for j in filtered_idx]
    started = time.perf_counter()
    faiss.omp_set_num_threads(2)  # build on both cores
    index = VectorIndex.build(vectors, np.arange(n, dtype=np.int64), kind="ivf")
    faiss.omp_set_num_threads(1)  # one request on one core, as Retriever.open sets it
    out: dict[str, Any] = {"n": n, "queries": len(queries), "filtered_queries": len(filtered_idx),
                           "ivf": {"index": f"IVF-Flat nlist={index.nlist}", "build_seconds": round(time.perf_counter() - started, 1)}}
    sweep = []
    raw: dict[str, tuple[list[float], list[float]]] = {}
    for nprobe in NPROBES:
        times, recalls, _ = run_ivf(index, table, queries, filters, truth_all, strategy=None, nprobe=nprobe)
        sweep.append({"nprobe": nprobe, **stats(times, recalls)})
        if nprobe == ann.NPROBE:
            raw["unfiltered"] = (times, recalls)
    chosen = next(s for s in sweep if s["nprobe"] == ann.NPROBE)
    out["ivf"]["unfiltered"] = {**chosen, "sweep": sweep}
    if filtered_idx:
        strategies = {}
        for strategy in STRATEGIES:
            times, recalls, sel = run_ivf(index, table, fq, ff, truth_filtered, strategy=strategy)
            strategies[strategy] = {**stats(times, recalls), "by_selectivity": by_selectivity(times, recalls, sel)}
            if strategy == "auto":
                raw["filtered"] = (times, recalls)
        out["ivf"]["filtered"] = {**{k: v for k, v in strategies["auto"].items()}, "strategy": "auto", "strategies": strategies,
                                  "median_selectivity": round(float(np.median([table.selectivity(m) for m in masks])), 4)}
    out["raw"] = raw  # per-query figures, for pooling over catalogs (not written to the results)
    out["ivf"]["recall_at_10"] = out["ivf"]["unfiltered"]["recall_at_10"]
    out["ivf"]["p99_ms"] = out["ivf"]["unfiltered"]["p99_ms"]
    print(f"{label} IVF", {k: v for k, v in chosen.items()}, "filtered", {k: out["ivf"].get("filtered", {}).get(k) for k in ("recall_at_10", "p99_ms")},
          flush=True)
    del index
    if hnsw:
        faiss.omp_set_num_threads(2)
        started = time.perf_counter()
        graph = hnsw_index(vectors)
        faiss.omp_set_num_threads(1)
        out["hnsw"] = {"index": f"HNSW-Flat M={HNSW_M} efConstruction={EF_CONSTRUCTION}", "build_seconds": round(time.perf_counter() - started, 1),
                       "unfiltered": [], "filtered": []}
        for ef in EF_SEARCH:
            times, recalls = run_hnsw(graph, table, queries, filters, truth_all, ef=ef, filtered=False)
            out["hnsw"]["unfiltered"].append({"ef_search": ef, **stats(times, recalls)})
            if filtered_idx:
                times, recalls = run_hnsw(graph, table, fq, ff, truth_filtered, ef=ef, filtered=True)
                out["hnsw"]["filtered"].append({"ef_search": ef, **stats(times, recalls)})
        print(f"{label} HNSW", out["hnsw"]["unfiltered"][2], out["hnsw"]["filtered"][2] if filtered_idx else "", flush=True)
    return out


# --- 1M vectors fitted to the real ones ----------------------------------------------------------
def fit_mixture(vectors: np.ndarray, components: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """k-means assignment of every real vector and the component centres."""
    import faiss

    kmeans = faiss.Kmeans(vectors.shape[1], components, niter=20, seed=seed, verbose=False)
    kmeans.train(np.ascontiguousarray(vectors, dtype=np.float32))
    _, assign = kmeans.index.search(np.ascontiguousarray(vectors, dtype=np.float32), 1)
    return assign[:, 0].astype(np.int64), np.asarray(kmeans.centroids)


def sample_mixture(vectors: np.ndarray, assign: np.ndarray, n: int, *, seed: int = 0,
                   shrink: float = SHRINK) -> tuple[np.ndarray, np.ndarray]:
    """``n`` unit vectors drawn from the fitted mixture, and for each the real vector whose attributes it takes.

    Component c (members X_c, mean mu_c, m members) draws n * m / N samples
    ``mu_c + sqrt(1 - b) * z1 @ (X_c - mu_c) / sqrt(m - 1) + sqrt(b) * z2 @ L.T``, with ``L L.T`` the
    pooled within-component covariance and ``b = shrink / (m - 1 + shrink)``: a Gaussian whose
    covariance is the members' own, shrunk towards the pooled one.
    """
    rng = np.random.default_rng(seed)
    dim = vectors.shape[1]
    labels = np.unique(assign)
    members = {c: np.flatnonzero(assign == c) for c in labels}
    means = {c: vectors[idx].mean(axis=0) for c, idx in members.items()}
    residuals = vectors - np.stack([means[c] for c in assign])
    pooled = residuals.T @ residuals / max(len(vectors) - len(labels), 1)
    chol = np.linalg.cholesky(pooled + 1e-6 * np.eye(dim)).astype(np.float32)
    counts = rng.multinomial(n, [len(members[c]) / len(vectors) for c in labels])
    out = np.empty((n, dim), dtype=np.float32)
    parent = np.empty(n, dtype=np.int64)
    row = 0
    for c, count in zip(labels, counts, strict=True):
        if count == 0:
            continue
        idx = members[c]
        b = shrink / (len(idx) - 1 + shrink)
        draw = np.repeat(means[c][None, :], count, axis=0).astype(np.float32)
        if len(idx) > 1:
            own = residuals[idx].astype(np.float32) / np.sqrt(len(idx) - 1)
            draw += np.sqrt(1 - b) * (rng.standard_normal((count, len(idx)), dtype=np.float32) @ own)
        draw += np.sqrt(b) * (rng.standard_normal((count, dim), dtype=np.float32) @ chol.T)
        out[row:row + count] = draw / np.linalg.norm(draw, axis=1, keepdims=True)
        parent[row:row + count] = idx[rng.integers(0, len(idx), count)]
        row += count
    return out, parent
