"""Ingestion: sync the store with a catalog file and update the vector index incrementally.

Only products whose content hash changed are re-embedded; the FAISS index gets ``remove_ids`` /
``add_with_ids`` for them. A full rebuild happens only when there is no usable index yet (or on
``reindex``). SQL is committed first and the manifest written last, so an interrupted run leaves a
mismatch that ``Retriever.open`` reports instead of silently serving stale results.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from retrieval.catalog import EMBEDDED_FIELDS, CatalogRead, product_text, read_catalog, text_recipe
from retrieval.errors import IndexMismatchError, IndexMissingError, RetrievalError, StoreUnavailableError
from retrieval.index import Manifest, VectorIndex, check_manifest
from retrieval.mapping import load_mapping
from retrieval.store import (
    catalog_fingerprint,
    catalog_rows,
    delete_products,
    existing_hashes,
    insert_products,
    make_engine,
    migrate,
    session_scope,
    update_products,
)

if TYPE_CHECKING:
    from retrieval.encoder import Encoder
    from shop.settings import Settings


@dataclass
class IngestReport:
    """What an ingestion changed; ``summary()`` is the line the CLI prints."""

    catalog: str
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)
    reindexed: bool = False
    seconds: float = 0.0
    read: CatalogRead | None = None

    @property
    def ingested(self) -> int:
        """Products now in the catalog."""
        return self.added + self.changed + self.unchanged

    def summary(self) -> str:
        """One line: counts, skipped rows with line numbers, time."""
        mode = "full index build" if self.reindexed else "incremental index update"
        line = (f"{self.catalog}: {self.ingested} items ingested ({self.added} added, {self.changed} changed, "
                f"{self.removed} removed, {self.unchanged} unchanged), {len(self.skipped)} skipped, {mode}, "
                f"{self.seconds:.1f} s")
        if self.read is not None and self.read.merged:
            line += f"\n  {self.read.merged} rows listed a product again under another type or category: merged into it"
        if self.skipped and self.read is not None:
            line += f"\n  skipped: {self.read.skipped_summary()}"
        return line


def load_encoder(settings: Settings) -> Encoder:
    """The catalog encoder configured by settings; with ``ingest_backend == "onnx"`` it runs the fp32 export."""
    from retrieval.encoder import Encoder

    encoder = Encoder(settings.encoder_dir, threads=settings.torch_threads, batch_size=settings.encoder_batch_size)
    if settings.ingest_backend == "onnx":
        encoder.use_onnx(ensure_onnx(settings, encoder))
    return encoder


def index_dir(settings: Settings, catalog: str) -> Path:
    """Folder of one catalog's index inside ``settings.resolved_index_dir``."""
    return settings.resolved_index_dir / catalog


def ingest(settings: Settings, *, catalog_path: Path | None = None, mapping_path: Path | None = None,
           encoder: Encoder | None = None, progress: bool = False, limit: int | None = None) -> IngestReport:
    """Read a catalog, apply additions/changes/removals to SQL, then to the index (incrementally)."""
    started = time.perf_counter()
    mapping = load_mapping(mapping_path or settings.catalog_mapping)
    read = read_catalog(catalog_path or settings.catalog_path, mapping, limit=limit)
    report = IngestReport(catalog=mapping.name, skipped=read.skipped, read=read)
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    folder = index_dir(settings, mapping.name)
    try:
        with session_scope(engine) as session:
            before, _ = catalog_fingerprint(session, catalog=mapping.name)
            existing = existing_hashes(session, catalog=mapping.name)
            added = [r for pid, r in read.records.items() if pid not in existing]
            changed = [(existing[pid][0], r) for pid, r in read.records.items()
                       if pid in existing and existing[pid][1] != r["content_hash"]]
            removed = [rid for pid, (rid, _) in existing.items() if pid not in read.records]
            added_ids = insert_products(session, catalog=mapping.name, records=added)
            update_products(session, updates=changed)
            delete_products(session, row_ids=removed)
    except StoreUnavailableError:
        raise
    except Exception as exc:  # SQLAlchemy errors: database locked, read-only, constraint...
        if exc.__class__.__module__.startswith("sqlalchemy"):
            raise StoreUnavailableError(
                f"Could not write the catalog to {engine.url.render_as_string(hide_password=True)}: {exc}. "
                "Check that the database is writable (SHOP_DATABASE_URL / SHOP_VAR_DIR)."
            ) from exc
        raise
    report.added, report.changed, report.removed = len(added), len(changed), len(removed)
    report.unchanged = len(read.records) - len(added) - len(changed)
    encoder = encoder or load_encoder(settings)
    try:
        index, manifest = VectorIndex.load(folder)
        check_manifest(manifest, catalog=mapping.name, fingerprint=before, count=len(existing),
                       model_id=encoder.model_id, dim=index.index.d, text=text_recipe(settings.description_words))
    except (IndexMissingError, IndexMismatchError):
        report.reindexed = True
        build_index(settings, catalog=mapping.name, encoder=encoder, progress=progress)
    else:
        rows = added + [r for _, r in changed]
        ids = np.asarray(added_ids + [rid for rid, _ in changed], dtype=np.int64)
        index.remove(np.asarray(removed + [rid for rid, _ in changed], dtype=np.int64))
        if rows:
            texts = [product_text(r, description_words=settings.description_words) for r in rows]
            index.add(encoder.encode(texts, progress=progress), ids)
        _save(index, folder, engine=engine, catalog=mapping.name, model_id=encoder.model_id,
              text=text_recipe(settings.description_words))
    ensure_onnx(settings, encoder)
    report.seconds = time.perf_counter() - started
    return report


def build_index(settings: Settings, *, catalog: str, encoder: Encoder | None = None, progress: bool = False) -> int:
    """Embed every stored product of ``catalog`` and write a fresh index; returns the item count."""
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    with session_scope(engine) as session:
        rows = catalog_rows(session, catalog=catalog)
        texts = [product_text({c: getattr(r, c) for c in EMBEDDED_FIELDS}, description_words=settings.description_words)
                 for r in rows]
        ids = np.asarray([r.row_id for r in rows], dtype=np.int64)
    if not rows:
        raise RetrievalError(f"No products of catalog {catalog!r} in the database; run `python -m retrieval ingest` first.")
    encoder = encoder or load_encoder(settings)
    vectors = encoder.encode(texts, progress=progress)
    index = VectorIndex.build(vectors, ids)
    _save(index, index_dir(settings, catalog), engine=engine, catalog=catalog, model_id=encoder.model_id,
          text=text_recipe(settings.description_words))
    ensure_onnx(settings, encoder)
    return len(rows)


def _save(index: VectorIndex, folder: Path, *, engine: object, catalog: str, model_id: str, text: str) -> None:
    with session_scope(engine) as session:  # type: ignore[arg-type]
        fingerprint, count = catalog_fingerprint(session, catalog=catalog)
    index.save(folder, Manifest(catalog=catalog, fingerprint=fingerprint, count=count, dim=index.index.d,
                                model_id=model_id, kind=index.kind, text=text))


def ensure_onnx(settings: Settings, encoder: Encoder) -> Path:
    """Export the encoder to ONNX once (beside the index), again only when the weights change."""
    from retrieval.onnx_encoder import export_onnx

    onnx_dir = settings.resolved_index_dir / "query-encoder"
    marker = onnx_dir / "model_id.txt"
    needed = settings.query_encoder != "torch" or settings.ingest_backend == "onnx"
    if needed and (not marker.is_file() or marker.read_text(encoding="utf-8") != encoder.model_id):
        export_onnx(encoder, onnx_dir)
    return onnx_dir
