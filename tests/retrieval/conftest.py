"""Shared fixtures: one MiniLM encoder per session, per-test settings (PostgreSQL: tests/conftest.py)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shop.settings import Settings

REPO = Path(__file__).resolve().parents[2]
FIXTURE_CATALOG = REPO / "tests" / "fixtures" / "tiny_catalog.csv"
DEMO_MAPPING = REPO / "retrieval" / "mappings" / "demo.yml"
SHARED = Path(__file__).parents[2].parent / "shared"


@pytest.fixture(scope="session")
def encoder():  # type: ignore[no-untyped-def]
    """The MiniLM encoder, loaded once (about a second) and shared by every test."""
    from retrieval.encoder import Encoder

    return Encoder(Settings().encoder_dir, threads=2, batch_size=32)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each store test runs on SQLite and on PostgreSQL; the PostgreSQL schema is emptied after each test."""
    if request.param == "sqlite":
        if os.environ.get("SHOP_TEST_DATABASE") == "postgres":
            pytest.skip("the PostgreSQL stage of scripts/test.sh runs only the PostgreSQL variant")
        yield f"sqlite:///{tmp_path / 'shop.db'}"
        return
    url = request.getfixturevalue("postgres_url")
    yield url
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings isolated in ``tmp_path`` (database, index) for the tiny fixture catalog."""

    def build(**overrides: object) -> Settings:
        values: dict[str, object] = {"var_dir": tmp_path / "var", "catalog_path": FIXTURE_CATALOG,
                                     "catalog_mapping": DEMO_MAPPING, "query_encoder": "torch", "ingest_backend": "torch",
                                     "encoder_batch_size": 32}
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]

    return build
