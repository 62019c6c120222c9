"""The assistant over each shared catalog: ingested once per session, real Rasa + action servers.

One catalog's servers run at a time (each Rasa server and action server holds a model and an
index in memory); the stories are ordered catalog by catalog, so each catalog is ingested and its
servers started once. How long each catalog took to ingest and to play is written to
``var/test-results/catalog_conversations.json``.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from retrieval.shared_catalogs import SHARED_CATALOGS
from shop.settings import REPO_ROOT, Settings

RESULTS = REPO_ROOT / "var" / "test-results" / "catalog_conversations.json"
TURN_TIMEOUT = 90.0


@dataclass
class Shop:
    """One catalog's running assistant, as a customer (REST channel) and as the store sees it."""

    name: str
    catalog: str
    """The catalog's name in the store (its mapping's name)."""
    settings: Settings
    stack: Any
    timings: dict[str, float] = field(default_factory=dict)

    def say(self, sender: str, text: str) -> list[dict[str, Any]]:
        """One customer turn through Rasa's REST channel: the messages of the answer."""
        response = httpx.post(f"{self.settings.resolved_rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                              headers={"Authorization": f"Bearer {self.settings.resolved_rasa_token}"}, timeout=TURN_TIMEOUT)
        response.raise_for_status()
        return list(response.json())

    def reading(self, sender: str) -> str:
        """How the NLU read the customer's latest message (intent and entities), for failure reports."""
        response = httpx.get(f"{self.settings.resolved_rasa_url}/conversations/{sender}/tracker",
                             params={"token": self.settings.resolved_rasa_token}, timeout=TURN_TIMEOUT)
        latest = response.json().get("latest_message") or {} if response.status_code == 200 else {}
        entities = ", ".join(f"{e.get('entity')}={e.get('value')!r}" for e in latest.get("entities") or [])
        return f"intent {(latest.get('intent') or {}).get('name')}" + (f"; entities {entities}" if entities else "")

    def products(self, ids: list[str]) -> list[dict[str, Any]]:
        """The store's rows of the products with these ids, in the order of ``ids``."""
        from sqlalchemy import inspect, select

        from retrieval.models import ProductRow
        from retrieval.store import make_engine, session_scope

        engine = make_engine(self.settings.resolved_database_url)
        try:
            with session_scope(engine) as session:
                rows = session.scalars(select(ProductRow).where(ProductRow.catalog == self.catalog, ProductRow.product_id.in_(ids)))
                columns = [attr.key for attr in inspect(ProductRow).column_attrs]
                found = {row.product_id: {column: getattr(row, column) for column in columns} for row in rows}
        finally:
            engine.dispose()
        return [found[i] for i in ids if i in found]


class Shops:
    """Starts the assistant over the catalog a story asks for, stopping the one before."""

    def __init__(self, work_dir: Path, model: Path) -> None:
        self.work_dir, self.model = work_dir, model
        self.ingested: dict[str, tuple[Settings, str]] = {}
        self.timings: dict[str, dict[str, float]] = {}
        self.current: Shop | None = None

    def open(self, name: str) -> Shop:
        """The running assistant over catalog ``name`` (ingested on first use)."""
        if self.current is not None and self.current.name == name:
            return self.current
        self.close_current()
        settings, catalog = self.ingested.get(name) or self._ingest(name)
        from shop.ops.stack import Stack, free_port

        settings = settings.model_copy(update={"action_port": free_port(), "rasa_port": free_port(), "web_port": free_port()})
        started = time.perf_counter()
        stack = Stack(settings=settings, model=self.model).__enter__()
        timings = self.timings.setdefault(name, {})
        timings["start_seconds"] = round(time.perf_counter() - started, 1)
        self.current = Shop(name=name, catalog=catalog, settings=settings, stack=stack, timings=timings)
        return self.current

    def _ingest(self, name: str) -> tuple[Settings, str]:
        from retrieval.ingest import ingest
        from shop.ops.stack import free_port

        shared = SHARED_CATALOGS[name]
        var_dir = self.work_dir / name
        var_dir.mkdir(parents=True, exist_ok=True)
        settings = Settings(var_dir=var_dir, catalog_path=shared.csv_path(var_dir), catalog_mapping=shared.mapping,
                            action_port=free_port(), rasa_port=free_port(), web_port=free_port())
        started = time.perf_counter()
        report = ingest(settings)
        self.timings.setdefault(name, {})["ingest_seconds"] = round(time.perf_counter() - started, 1)
        self.timings[name]["products"] = report.ingested
        assert report.ingested > 1000, report.summary()
        self.ingested[name] = (settings, report.catalog)
        return self.ingested[name]

    def close_current(self) -> None:
        if self.current is not None:
            self.current.stack.stop()
            self.current = None

    def close(self) -> None:
        """Stop the servers and write the timings beside the other test results."""
        self.close_current()
        if self.timings:
            RESULTS.parent.mkdir(parents=True, exist_ok=True)
            RESULTS.write_text(json.dumps(self.timings, indent=2) + "\n")


@pytest.fixture(scope="session")
def shops(tmp_path_factory: pytest.TempPathFactory, trained_model: Path) -> Iterator[Shops]:
    """Every shared catalog, ingested into its own temporary store the first time a story needs it."""
    shops = Shops(tmp_path_factory.mktemp("catalogs"), trained_model)
    try:
        yield shops
    finally:
        shops.close()


@pytest.fixture
def sender() -> str:
    """A fresh conversation id for every story."""
    return f"story-{uuid.uuid4().hex[:12]}"
