"""Outside systems the actions talk to, built once per action-server process.

Why lazy: the action server forks worker processes; FAISS, the encoder and database engines must
be created inside the worker that uses them, and importing ``actions`` must stay side-effect free
so unit tests and tooling can import it cheaply. ``warm_up`` is called by ``actions.server`` when
a worker starts so the first customer does not wait for the model to load.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shop.settings import Settings, get_settings

if TYPE_CHECKING:
    from retrieval import Retriever
    from retrieval.coverage import CatalogCoverage
    from retrieval.personalise import PersonalisedSearch

logger = logging.getLogger(__name__)


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


def get_services() -> Services:
    """The process-wide services, built on first use; raises ServiceUnavailableError with the cause."""
    global _services
    if _services is None:
        with _lock:
            if _services is None:
                try:
                    _services = build_services(get_settings())
                except Exception as error:  # any failure to open storage means "service down" to a customer
                    logger.exception("cannot open the product store: %s", error)
                    raise ServiceUnavailableError(str(error)) from error
    return _services


def warm_up() -> None:
    """Load everything now and run one query so the first customer turn is fast."""
    try:
        services = get_services()
        services.retriever.search("shoes", top_k=1)
        services.coverage.group_vectors()  # and the kind vectors it needs: the first "we don't sell that" is fast too
        logger.info("action server warmed up")
    except ServiceUnavailableError:
        logger.warning("warm-up failed; actions will retry on the first request")
