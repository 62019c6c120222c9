"""Filtered nearest-neighbour search: choose between FAISS pre-filtering and over-fetch + post-filter.

Measured in benchmarks/retrieval_benchmark.py (1M vectors, IVF): over-fetching and dropping
disallowed hits is cheapest while at least ~5 % of items pass; below that it needs ever more
candidates, and pre-filtering with an ``IDSelectorBitmap`` wins, probing more IVF lists the more
selective the filter is (allowed items are spread thinly over the lists). Under ~1 % every list
is probed; only allowed items get a distance, so the search stays exact. Flat indexes are exact
either way.
"""

from __future__ import annotations

import numpy as np

from retrieval.index import VectorIndex

POSTFILTER_MIN_SELECTIVITY = 0.05
EXHAUSTIVE_MAX_SELECTIVITY = 0.01
NPROBE = 32


def allowed_bitmap(row_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Boolean array indexed by row id: True where the filter allows the item."""
    if len(row_ids) and int(row_ids[0]) == 0 and int(row_ids[-1]) == len(row_ids) - 1:
        return mask  # ids 0..n-1 in order: positions are ids
    bitmap = np.zeros(int(row_ids[-1]) + 1 if len(row_ids) else 0, dtype=bool)
    bitmap[row_ids[mask]] = True
    return bitmap


def search(index: VectorIndex, query: np.ndarray, k: int, *, bitmap: np.ndarray | None, selectivity: float = 1.0,
           strategy: str = "auto", nprobe: int = NPROBE) -> tuple[np.ndarray, np.ndarray]:
    """Top-k (scores, row ids) of allowed items (all items when ``bitmap`` is None).

    ``strategy``: "post" (over-fetch, then drop disallowed), "pre" (FAISS selector, IVF probes scaled
    by selectivity), "exact" (selector over every IVF list) or "auto" (by selectivity, see the constants).
    """
    if bitmap is None:
        scores, ids = index.search(query, k, nprobe=nprobe)
        return scores[0], ids[0]
    if strategy == "auto":
        strategy = "post" if selectivity >= POSTFILTER_MIN_SELECTIVITY else "pre"
    if strategy == "exact":
        return prefilter(index, query, k, bitmap=bitmap, selectivity=0.0, nprobe=nprobe)
    if strategy == "post":
        fetch = int(min(index.ntotal, max(k * 4, np.ceil(k / max(selectivity, 1e-6) * 2))))
        scores, ids = index.search(query, fetch, nprobe=nprobe)
        keep = (ids[0] >= 0) & (ids[0] < len(bitmap))
        keep[keep] = bitmap[ids[0][keep]]
        if keep.sum() >= k or fetch >= index.ntotal:
            return scores[0][keep][:k], ids[0][keep][:k]
    return prefilter(index, query, k, bitmap=bitmap, selectivity=selectivity, nprobe=nprobe)


def prefilter(index: VectorIndex, query: np.ndarray, k: int, *, bitmap: np.ndarray, selectivity: float,
              nprobe: int = NPROBE) -> tuple[np.ndarray, np.ndarray]:
    """FAISS search restricted by an ``IDSelectorBitmap``; probes more IVF lists as the filter narrows."""
    import faiss

    bits = np.packbits(bitmap, bitorder="little")
    selector = faiss.IDSelectorBitmap(len(bits), faiss.swig_ptr(bits))  # size in bytes
    if selectivity <= EXHAUSTIVE_MAX_SELECTIVITY:
        probes = index.nlist
    else:  # keep the expected number of allowed items scanned about constant
        probes = int(min(index.nlist, np.ceil(nprobe / selectivity)))
    scores, ids = index.search(query, k, selector=selector, nprobe=probes)
    keep = ids[0] >= 0
    return scores[0][keep], ids[0][keep]
