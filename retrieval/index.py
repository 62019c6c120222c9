"""FAISS inner-product index of product vectors, persisted with a manifest.

Small catalogs get an exact ``IndexFlatIP`` inside an ``IndexIDMap2`` (exact, supports
add/remove by id and reconstruct). Large ones (``IVF_MIN`` vectors and more) get an
``IndexIVFFlat``: it keeps ids natively, supports ``remove_ids`` and an ``IDSelector`` during
search, which is what filtered search needs; HNSW cannot remove ids. The manifest records what
the index was built from so a stale index is refused at open.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.errors import IndexMismatchError, IndexMissingError

MANIFEST_VERSION = 1
IVF_MIN = 200_000
REBUILD_HINT = "Rebuild it with `python -m retrieval reindex` (or re-run `python -m retrieval ingest`)."


@dataclass
class Manifest:
    """What an index holds: checked against the database every time it is opened."""

    catalog: str
    fingerprint: str
    count: int
    dim: int
    model_id: str
    kind: str
    version: int = MANIFEST_VERSION
    text: str = ""
    """The embedded-text recipe (``retrieval.catalog.text_recipe``); empty in indexes written before it was recorded."""


class VectorIndex:
    """Thin owner of a FAISS index; ids are the store's ``row_id`` values."""

    def __init__(self, index: Any, kind: str) -> None:
        self.index = index
        self.kind = kind

    @classmethod
    def build(cls, vectors: np.ndarray, ids: np.ndarray, *, kind: str | None = None, nlist: int | None = None) -> VectorIndex:
        """Build the index kind that suits ``len(vectors)`` (or the one asked for)."""
        faiss = _faiss()
        n, dim = vectors.shape
        kind = kind or ("ivf" if n >= IVF_MIN else "flat")
        if kind == "flat":
            index: Any = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        else:
            nlist = nlist or max(16, int(4 * math.sqrt(n)))
            quantizer = faiss.IndexFlatIP(dim)
            index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
            index.cp.niter = 12  # fewer k-means rounds than the default 25: bounds the build time on 2 cores
            rng = np.random.default_rng(0)
            sample = vectors[rng.choice(n, size=min(n, nlist * 40), replace=False)]
            index.train(np.ascontiguousarray(sample, dtype=np.float32))
            index.set_direct_map_type(faiss.DirectMap.Hashtable)
        vi = cls(index, kind)
        vi.add(vectors, ids)
        return vi

    @property
    def ntotal(self) -> int:
        """Number of vectors in the index."""
        return int(self.index.ntotal)

    @property
    def nlist(self) -> int:
        """IVF lists (1 for the flat kind)."""
        return int(self.index.nlist) if self.kind == "ivf" else 1

    def add(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        """Add vectors under the given ids (chunked, so 1M vectors do not need a second copy)."""
        for start in range(0, len(ids), 100_000):
            chunk = np.ascontiguousarray(vectors[start:start + 100_000], dtype=np.float32)
            self.index.add_with_ids(chunk, np.asarray(ids[start:start + 100_000], dtype=np.int64))

    def remove(self, ids: np.ndarray) -> int:
        """Remove ids; returns how many were present."""
        faiss = _faiss()
        if len(ids) == 0:
            return 0
        return int(self.index.remove_ids(faiss.IDSelectorBatch(np.asarray(ids, dtype=np.int64))))

    def reconstruct(self, row_id: int) -> np.ndarray | None:
        """The stored vector of one id, or None when absent."""
        try:
            return np.asarray(self.index.reconstruct(int(row_id)), dtype=np.float32)
        except RuntimeError:
            return None

    def search(self, queries: np.ndarray, k: int, *, selector: Any = None, nprobe: int = 32) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, ids) per query; ``selector`` restricts candidates inside FAISS (pre-filtering)."""
        faiss = _faiss()
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        if self.kind == "ivf":
            params: Any = faiss.SearchParametersIVF(sel=selector, nprobe=min(nprobe, self.nlist)) if selector is not None \
                else faiss.SearchParametersIVF(nprobe=min(nprobe, self.nlist))
        else:
            params = faiss.SearchParameters(sel=selector) if selector is not None else None
        scores, ids = self.index.search(queries, k, params=params)
        return scores, ids

    def save(self, directory: Path, manifest: Manifest) -> None:
        """Write ``index.faiss`` then ``manifest.json`` (the manifest last: a crash leaves a detectable mismatch).

        Each file is written under a name of this process's own and renamed into place, so two
        processes saving the same index at once (a benchmark and a server both ingesting) never
        rename each other's half-written file."""
        faiss = _faiss()
        directory.mkdir(parents=True, exist_ok=True)
        tmp = directory / f"index.faiss.{os.getpid()}.tmp"
        faiss.write_index(self.index, str(tmp))
        tmp.replace(directory / "index.faiss")
        tmp_manifest = directory / f"manifest.json.{os.getpid()}.tmp"
        tmp_manifest.write_text(json.dumps(asdict(manifest), indent=2), encoding="utf-8")
        tmp_manifest.replace(directory / "manifest.json")

    @classmethod
    def load(cls, directory: Path) -> tuple[VectorIndex, Manifest]:
        """Read an index and its manifest; raise a clear error when either is missing or unreadable."""
        faiss = _faiss()
        manifest_path, index_path = directory / "manifest.json", directory / "index.faiss"
        if not manifest_path.is_file() or not index_path.is_file():
            raise IndexMissingError(f"No vector index in {directory}. {REBUILD_HINT}")
        try:
            manifest = Manifest(**json.loads(manifest_path.read_text(encoding="utf-8")))
        except (ValueError, TypeError) as exc:
            raise IndexMismatchError(f"Index manifest {manifest_path} is unreadable ({exc}). {REBUILD_HINT}") from exc
        index = faiss.read_index(str(index_path))
        if index.ntotal != manifest.count:
            raise IndexMismatchError(
                f"Index {index_path} holds {index.ntotal} vectors but its manifest says {manifest.count}. {REBUILD_HINT}"
            )
        return cls(index, manifest.kind), manifest


def _faiss() -> Any:
    """FAISS, imported on first use (its type stubs do not know the SearchParameters keywords)."""
    import importlib

    return importlib.import_module("faiss")


def check_manifest(manifest: Manifest, *, catalog: str, fingerprint: str, count: int, model_id: str, dim: int,
                   text: str) -> None:
    """Refuse an index that was built from other products, another model, other texts or an older format."""
    problems = []
    if manifest.version != MANIFEST_VERSION:
        problems.append(f"format version {manifest.version} (expected {MANIFEST_VERSION})")
    if manifest.catalog != catalog:
        problems.append(f"catalog {manifest.catalog!r} (database: {catalog!r})")
    if manifest.count != count:
        problems.append(f"{manifest.count} products (database: {count})")
    elif manifest.fingerprint != fingerprint:
        problems.append("products that changed in the database since the index was built")
    if manifest.model_id != model_id or manifest.dim != dim:
        problems.append(f"model {manifest.model_id} / dim {manifest.dim} (encoder: {model_id} / {dim})")
    if manifest.text != text:
        problems.append(f"vectors of {manifest.text or 'titles only'} (settings: {text})")
    if problems:
        raise IndexMismatchError("The vector index does not match the database: " + "; ".join(problems) + f". {REBUILD_HINT}")
