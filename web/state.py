"""What the routes share: the state built once per process, and the console's login redirect.

A module of its own so that the app factory (``web.app``), the dependencies (``web.deps``) and the
routes all import it and none of them imports another in a circle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from shop.settings import Settings
from web.limits import MemoryCounters, RateLimiter
from web.live import LiveHub
from web.rasa_client import RasaClient
from web.security import CustomerIds, LoginThrottle

WEB_DIR = Path(__file__).resolve().parent


@dataclass
class AppState:
    """Everything the routes share, built once per process (never at import time)."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    rasa: RasaClient
    live: LiveHub
    customers: CustomerIds
    throttle: LoginThrottle
    templates: Jinja2Templates
    # Rate limits per customer and per address (in Redis when the web app runs as several replicas).
    limiter: RateLimiter = field(default_factory=lambda: RateLimiter(MemoryCounters()))
    # Rasa's tracker store, read (never written) for the review queue.
    tracker: Engine | None = None
    # Sentence vectors of review-queue messages, by text (grouping re-reads the same open messages).
    review_vectors: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def catalog_name(self) -> str:
        """The catalog the store shows (its mapping's name): one database may hold several."""
        from retrieval.mapping import load_mapping

        return load_mapping(self.settings.catalog_mapping).name

    @cached_property
    def query_encoder(self) -> Any:
        """The search's own sentence encoder, loaded on the first review-queue request (about a second)."""
        from retrieval.search import load_query_encoder

        return load_query_encoder(self.settings)


class LoginRequiredError(Exception):
    """A console page was opened without a valid session: redirect to the login page."""
