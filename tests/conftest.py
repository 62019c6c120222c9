"""Shared fixtures: a real catalog in a temporary store, and the real servers started on free ports.

Integration tests use a deterministic fifth of the bundled demo catalog (about 1,600 products):
real Myntra products, small enough to embed in seconds on two cores.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from shop.settings import REPO_ROOT, Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
DEMO_CATALOG = REPO_ROOT / "data" / "demo_catalog.csv"
DEMO_MAPPING = REPO_ROOT / "retrieval" / "mappings" / "demo.yml"


def write_catalog_subset(target: Path, every: int = 5) -> Path:
    """Every ``every``-th product of the demo catalog, same columns."""
    with DEMO_CATALOG.open(encoding="utf-8", newline="") as source, target.open("w", encoding="utf-8", newline="") as out:
        reader = csv.DictReader(source)
        writer = csv.DictWriter(out, fieldnames=list(reader.fieldnames or []))
        writer.writeheader()
        for number, row in enumerate(reader):
            if number % every == 0:
                writer.writerow(row)
    return target


@pytest.fixture(scope="session")
def catalog_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of a temporary store holding the integration catalog, ingested once per session."""
    from retrieval.ingest import ingest
    from shop.stack import free_port

    var_dir = tmp_path_factory.mktemp("var")
    catalog = write_catalog_subset(var_dir / "catalog.csv")
    settings = Settings(
        var_dir=var_dir, catalog_path=catalog, catalog_mapping=DEMO_MAPPING,
        action_port=free_port(), rasa_port=free_port(),
    )
    report = ingest(settings)
    assert report.ingested > 1000, report.summary()
    return settings


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The model `make test` trained (SHOP_TEST_MODEL), else the newest one in models/."""
    from shop.stack import StackError, latest_model

    configured = os.environ.get("SHOP_TEST_MODEL")
    if configured:
        return Path(configured)
    try:
        return latest_model()
    except StackError as error:
        pytest.fail(f"{error} (scripts/test.sh trains it before running pytest)")


@pytest.fixture(scope="session")
def assistant_stack(catalog_settings: Settings, trained_model: Path) -> Iterator[object]:
    """The real action server and Rasa server, on free ports, over the integration catalog."""
    from shop.stack import Stack

    with Stack(settings=catalog_settings, model=trained_model) as stack:
        yield stack
