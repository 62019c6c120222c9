"""Outside systems the actions talk to, built once per action-server process and swapped when the catalog changes.

Why lazy: the action server forks worker processes; FAISS, the encoder and database engines must
be created inside the worker that uses them, and importing ``actions`` must stay side-effect free
so unit tests and tooling can import it cheaply. ``warm_up`` is called by ``actions.server`` when
a worker starts so the first customer does not wait for the model to load.

Why a watcher: re-ingesting the catalog (``python -m retrieval ingest``) commits SQL first and
writes the index manifest last. A daemon thread looks at the manifest file every
``settings.catalog_refresh_seconds``; when it was rewritten and describes what the database now
holds, the thread opens a new retriever (sharing the loaded query encoder and feedback store) and
swaps the process-wide ``Services`` in one assignment. A turn in flight keeps the object it
started with; the next turn gets the new catalog. While an ingestion is half-way (SQL newer than
the index) the old catalog keeps serving, and any failure to open the new one leaves it in place.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import _lru_cache_wrapper, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from shop.settings import Settings, get_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from retrieval import Retriever
    from retrieval.coverage import CatalogCoverage
    from retrieval.personalise import PersonalisedSearch
    from retrieval.snapshot import Snapshot

logger = logging.getLogger(__name__)
T = TypeVar("T")
ManifestStamp = tuple[int, int, int]
"""(inode, size, mtime in ns) of a manifest file: the index writer renames a new file into place, so any save changes it."""


class ServiceUnavailableError(RuntimeError):
    """A backing service (database, index, model) cannot be reached; the customer gets a polite retry."""


@dataclass
class Services:
    """The clients one action-server process shares between all actions."""

    settings: Settings
    retriever: Retriever
    personalised: PersonalisedSearch
    coverage: CatalogCoverage
    """Whether the catalog carries a requested kind of product (its kind vectors are built on first use)."""


_lock = threading.Lock()
_services: Services | None = None
_watcher: CatalogWatcher | None = None
_catalog_caches: list[_lru_cache_wrapper[Any]] = []


def build_services(settings: Settings) -> Services:
    """Open the retriever (SQL + FAISS + encoder), the catalog's coverage model and the feedback store described by ``settings``."""
    from retrieval import Retriever
    from retrieval.coverage import CatalogCoverage
    from retrieval.feedback import FeedbackStore
    from retrieval.personalise import PersonalisedSearch
    from retrieval.rerank import RerankWeights
    from retrieval.store import make_engine, migrate

    retriever = Retriever.open(settings)
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)  # the feedback table may be newer than the catalog
    personalised = PersonalisedSearch(
        retriever=retriever,
        store=FeedbackStore(engine, retention_days=settings.feedback_retention_days),
        enabled=settings.feedback_rerank,
        weights=RerankWeights(half_life_days=settings.feedback_half_life_days),
    )
    return Services(settings=settings, retriever=retriever, personalised=personalised, coverage=CatalogCoverage(retriever))


def reload_services(current: Services) -> Services:
    """The same services over the catalog as the database and index hold it now, ready to answer at once.

    The query encoder, the coverage model and the feedback store (with its engine) are shared with
    ``current``: a reload costs a snapshot, an index read and the in-memory tables, never a model load.
    Raises what ``Retriever.open`` raises (e.g. ``IndexMismatchError`` while an ingestion is half-way).
    """
    from retrieval import Retriever
    from retrieval.coverage import CatalogCoverage

    retriever = Retriever.open(current.settings, catalog=current.retriever.snapshot.catalog,
                               query_encoder=current.retriever.query_encoder)
    coverage = CatalogCoverage(retriever, current.coverage.model)
    retriever.search("shoes", top_k=1)
    coverage.group_vectors()  # built here, off the customers' turns, as warm_up does at start
    personalised = dataclasses.replace(current.personalised, retriever=retriever)
    return Services(settings=current.settings, retriever=retriever, personalised=personalised, coverage=coverage)


def get_services() -> Services:
    """The process-wide services, built on first use; raises ServiceUnavailableError with the cause.

    Callers keep the returned object for the whole turn: a catalog swapped in meanwhile is seen on the next turn.
    """
    global _services, _watcher
    if _services is None:
        with _lock:
            if _services is None:
                settings = get_settings()
                try:
                    _services = build_services(settings)
                except Exception as error:  # any failure to open storage means "service down" to a customer
                    logger.exception("cannot open the product store: %s", error)
                    raise ServiceUnavailableError(str(error)) from error
                if settings.catalog_refresh_seconds > 0 and _watcher is None:
                    _watcher = CatalogWatcher(_services)
                    _watcher.start()
    return _services


def swap_services(new: Services) -> None:
    """Make ``new`` the process-wide services (one assignment: a turn sees either the old object or the new one)."""
    global _services
    with _lock:
        _services = new
    release_catalog_caches()


def per_catalog(maxsize: int) -> Callable[[Callable[..., T]], _lru_cache_wrapper[T]]:
    """``functools.lru_cache`` for answers computed from one retriever, emptied whenever the catalog is swapped.

    Such caches are keyed on the retriever object: a new catalog gets fresh entries anyway, but the
    old entries would keep the old catalog (its products, vectors and index) alive until evicted.
    """
    def wrap(function: Callable[..., T]) -> _lru_cache_wrapper[T]:
        cached = lru_cache(maxsize=maxsize)(function)
        _catalog_caches.append(cached)
        return cached

    return wrap


def release_catalog_caches() -> None:
    """Forget every ``per_catalog`` answer, so a replaced catalog is freed as soon as its last turn ends."""
    for cache in _catalog_caches:
        cache.cache_clear()


# --- watching the catalog -----------------------------------------------------------------------

def manifest_path(settings: Settings, catalog: str) -> Path:
    """The manifest the ingestion writes last: it changes exactly when a new index is complete."""
    from retrieval.ingest import index_dir

    return index_dir(settings, catalog) / "manifest.json"


def manifest_stamp(path: Path) -> ManifestStamp | None:
    """The file's identity now, or None when it is missing (no index yet, or mid-rename)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def manifest_fingerprint(path: Path) -> str | None:
    """The catalog fingerprint the index on disk was built from, or None when the manifest cannot be read."""
    import json

    try:
        return str(json.loads(path.read_text(encoding="utf-8"))["fingerprint"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def database_fingerprint(engine: Engine, catalog: str) -> str:
    """The fingerprint of what the database holds for ``catalog`` now (one indexed query, no product loaded)."""
    from retrieval.store import catalog_fingerprint, session_scope

    with session_scope(engine) as session:
        fingerprint, _ = catalog_fingerprint(session, catalog=catalog)
    return fingerprint


def describe_change(old: Snapshot, new: Snapshot) -> str:
    """"+5 -2 ~1": products added, removed and changed between two snapshots of a catalog."""
    before = {p.id: p for p in old.products}
    after = {p.id: p for p in new.products}
    added = sum(1 for pid in after if pid not in before)
    removed = sum(1 for pid in before if pid not in after)
    changed = sum(1 for pid, p in after.items()
                  if pid in before and (before[pid] != p or before[pid].attributes != p.attributes))
    return f"+{added} -{removed} ~{changed}"


class CatalogWatcher(threading.Thread):
    """Swaps in the re-ingested catalog of this process's services, checking the index manifest every few seconds."""

    def __init__(self, services: Services) -> None:
        super().__init__(name="catalog-watcher", daemon=True)
        self.interval = services.settings.catalog_refresh_seconds
        self.catalog = services.retriever.snapshot.catalog
        self.path = manifest_path(services.settings, self.catalog)
        self.loaded = services.retriever.snapshot.fingerprint
        # The stamp before the first open is unknown: take the current one only when it describes what was loaded.
        self.stamp = manifest_stamp(self.path) if manifest_fingerprint(self.path) == self.loaded else None
        self.stopped = threading.Event()

    def run(self) -> None:
        """Check, then sleep, until the process ends (a daemon thread) or ``stop`` is called."""
        while not self.stopped.wait(self.interval):
            try:
                self.check()
            except Exception:  # a watcher that dies would freeze the catalog silently: log and keep watching
                logger.exception("BUG while checking catalog %s for a new version", self.catalog)

    def stop(self) -> None:
        self.stopped.set()

    def check(self) -> bool:
        """Swap in the catalog on disk when its index is new and matches the database; True when it swapped."""
        from sqlalchemy.exc import SQLAlchemyError

        from retrieval.errors import RetrievalError

        stamp = manifest_stamp(self.path)
        if stamp is None or stamp == self.stamp:
            return False
        on_disk = manifest_fingerprint(self.path)
        if on_disk == self.loaded:  # re-ingested without a change, or only rewritten
            self.stamp = stamp
            return False
        current = get_services()
        started = time.perf_counter()
        try:
            if on_disk is None or on_disk != database_fingerprint(current.personalised.store.engine, self.catalog):
                return False  # half-way: the database is ahead of the index; look again at the next tick
            fresh = reload_services(current)
        except SQLAlchemyError as error:  # e.g. SQLite locked by the ingestion's commit: try again at the next tick
            logger.warning("catalog %s: cannot read the database yet, still serving the previous version: %s", self.catalog, error)
            return False
        except RetrievalError as error:
            # The index changed again while we read it, or does not fit: keep serving. Any further
            # ingestion rewrites the manifest, and that new stamp is tried again.
            self.stamp = stamp
            logger.warning("catalog %s not reloaded, still serving the previous version: %s", self.catalog, error)
            return False
        # The stamp read before opening: a save that happened meanwhile shows as a new stamp at the next tick.
        self.stamp, self.loaded = stamp, fresh.retriever.snapshot.fingerprint
        swap_services(fresh)
        logger.info("catalog %s reloaded: %d products (%s) in %.1f s", self.catalog, len(fresh.retriever.snapshot.products),
                    describe_change(current.retriever.snapshot, fresh.retriever.snapshot), time.perf_counter() - started)
        return True


def warm_up() -> None:
    """Load everything now and run one query so the first customer turn is fast."""
    try:
        services = get_services()
        services.retriever.search("shoes", top_k=1)
        services.coverage.group_vectors()  # and the kind vectors it needs: the first "we don't sell that" is fast too
        logger.info("action server warmed up")
    except ServiceUnavailableError:
        logger.warning("warm-up failed; actions will retry on the first request")
