"""The three real catalogs as the assistant loads them, for the retrieval benchmark, with cached vectors.

Each catalog goes through its mapping and ``retrieval.ingest`` into one SQLite store under
``var/bench/store`` (one FAISS index per catalog), exactly as ``python -m retrieval ingest`` would
load it. Embedding the 68k products takes 10-15 minutes on two cores, so the catalog vectors are
cached in ``var/bench/vectors/<model>/`` keyed by the embedded text: a rerun embeds nothing, and a
changed mapping embeds only the texts it changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

if TYPE_CHECKING:
    from retrieval.encoder import Encoder
    from retrieval.search import Retriever
    from shop.settings import Settings

REPO = Path(__file__).resolve().parents[1]
BENCH_DIR = REPO / "var" / "bench"
SHARED_CATALOGS = REPO.parent / "shared" / "data" / "catalogs"
MAPPINGS = REPO / "retrieval" / "mappings"
SHARD_SIZE = 4096


def catalog_files() -> dict[str, tuple[Path, Path]]:
    """Catalog name -> (CSV file, mapping); the Flipkart file is the join written by ``flipkart_catalog.py``."""
    from benchmarks.flipkart_catalog import ensure_joined

    return {
        "myntra": (SHARED_CATALOGS / "myntra_styles.csv", MAPPINGS / "myntra.yml"),
        "flipkart": (ensure_joined(), MAPPINGS / "flipkart_full.yml"),
        "ikea": (SHARED_CATALOGS / "ikea_sa.csv", MAPPINGS / "ikea.yml"),
    }


def text_key(text: str) -> bytes:
    """The cache key of one embedded text."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest().encode("ascii")


class CachedEncoder:
    """A catalog ``Encoder`` whose vectors are kept on disk, keyed by text.

    Anything else (``model``, ``tokenizer``, ``model_dir`` for the ONNX export) is the wrapped encoder's.
    """

    def __init__(self, encoder: Any, folder: Path) -> None:
        self.inner = encoder
        self.folder = folder
        self.vectors: dict[bytes, np.ndarray] = {}
        for shard in sorted(folder.glob("shard-*.npz")):
            data = np.load(shard)
            self.vectors.update(zip(data["keys"].tolist(), data["vectors"], strict=True))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    @property
    def model_id(self) -> str:
        """The wrapped encoder's model id (what index manifests record)."""
        return str(self.inner.model_id)

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """Vectors for ``texts``: cached ones read, the others encoded in shards that are saved as they finish."""
        keys = [text_key(t) for t in texts]
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in self.vectors))
        if missing:
            print(f"embedding {len(missing)} distinct texts of {len(texts)} (the rest cached or repeated)", flush=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        for start in range(0, len(missing), SHARD_SIZE):
            chunk = missing[start:start + SHARD_SIZE]
            vectors = self.inner.encode(chunk, progress=progress)
            chunk_keys = [text_key(t) for t in chunk]
            self.vectors.update(zip(chunk_keys, vectors, strict=True))
            name = hashlib.sha1(b"".join(chunk_keys)).hexdigest()[:16]
            np.savez(self.folder / f"shard-{name}.npz", keys=np.asarray(chunk_keys), vectors=vectors)
            print(f"  {min(start + SHARD_SIZE, len(missing))}/{len(missing)} embedded", flush=True)
        return np.stack([self.vectors[k] for k in keys]) if keys else np.zeros((0, 384), dtype=np.float32)


def settings_for(name: str, var_dir: Path | None = None) -> Settings:
    """Settings that load catalog ``name`` from the benchmark store (or ``var_dir``)."""
    from shop.settings import Settings

    path, mapping = catalog_files()[name]
    return Settings(var_dir=var_dir or BENCH_DIR / "store", catalog_path=path, catalog_mapping=mapping)


def cached_encoder(settings: Settings) -> CachedEncoder:
    """The configured catalog encoder behind the vector cache of its model and runtime."""
    from retrieval.ingest import load_encoder

    encoder = load_encoder(settings)
    digest = encoder.model_id.rsplit("@", 1)[-1]
    return CachedEncoder(encoder, BENCH_DIR / "vectors" / f"{digest}-{settings.ingest_backend}")


def open_catalog(name: str, encoder: CachedEncoder | None = None) -> Retriever:
    """Ingest catalog ``name`` into the benchmark store (incremental: nothing to do when unchanged) and open it."""
    from retrieval.ingest import ingest
    from retrieval.search import Retriever

    settings = settings_for(name)
    report = ingest(settings, encoder=cast("Encoder", encoder or cached_encoder(settings)), progress=True)
    print(report.summary(), flush=True)
    return Retriever.open(settings)
