"""Shared fixtures: a real catalog in a temporary store, and the real servers started on free ports.

Integration tests use a deterministic fifth of the bundled demo catalog (about 1,600 products):
real Myntra products, small enough to embed in seconds on two cores.
The store is SQLite by default; with ``SHOP_TEST_DATABASE=postgres`` (a stage of scripts/test.sh)
the store-backed fixtures use a real PostgreSQL server started by ``postgres_url``.
"""

from __future__ import annotations

import csv
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from shop.settings import REPO_ROOT, Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
DEMO_CATALOG = REPO_ROOT / "data" / "demo_catalog.csv"
DEMO_MAPPING = REPO_ROOT / "retrieval" / "mappings" / "demo.yml"
PG_PORTS = range(54321, 54330)


def test_database() -> str:
    """``sqlite`` (default) or ``postgres``: which store the integration fixtures use."""
    value = os.environ.get("SHOP_TEST_DATABASE", "sqlite").lower()
    if value not in ("sqlite", "postgres"):
        raise pytest.UsageError(f"SHOP_TEST_DATABASE must be 'sqlite' or 'postgres', not {value!r}")
    return value


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


def _free_port() -> int:
    for port in PG_PORTS:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise RuntimeError(f"No free port for PostgreSQL in {PG_PORTS.start}-{PG_PORTS.stop - 1}.")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throw-away PostgreSQL cluster (Debian's ``postgresql`` package) on a loopback port."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bins:
        pytest.fail("PostgreSQL is not installed: run `apt-get install -y postgresql` (scripts/setup.sh does).")
    bindir = Path(bins[-1]).parent
    root = Path(tempfile.mkdtemp(prefix="shop-pg-"))
    shutil.chown(root, user="postgres", group="postgres")
    as_pg = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    subprocess.run([*as_pg, str(bindir / "initdb"), "-D", str(root / "data"), "-U", "postgres", "-A", "trust",
                    "--no-sync", "-E", "UTF8"], check=True, capture_output=True)
    subprocess.run([*as_pg, str(bindir / "pg_ctl"), "-D", str(root / "data"), "-l", str(root / "log"), "-w", "-o",
                    f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
                   check=True, capture_output=True)
    try:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE shop_test")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/shop_test"
    finally:
        subprocess.run([*as_pg, str(bindir / "pg_ctl"), "-D", str(root / "data"), "-m", "fast", "-w", "stop"],
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def create_database(server_url: str, name: str) -> str:
    """A new empty database on the server of ``server_url``; returns its URL."""
    import psycopg

    base, _, _ = server_url.rpartition("/")
    with psycopg.connect(base.replace("postgresql+psycopg://", "postgresql://") + "/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


def drop_database(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(base.replace("postgresql+psycopg://", "postgresql://") + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def scratch_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty store for one test: SQLite in tmp_path, or a fresh PostgreSQL database dropped afterwards."""
    if test_database() == "sqlite":
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    url = create_database(request.getfixturevalue("postgres_url"), f"scratch_{uuid.uuid4().hex[:12]}")
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def catalog_settings(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Settings:
    """Settings of a temporary store holding the integration catalog, ingested once per session."""
    from retrieval.ingest import ingest
    from shop.ops.stack import free_port

    var_dir = tmp_path_factory.mktemp("var")
    catalog = write_catalog_subset(var_dir / "catalog.csv")
    database_url = ""  # the SQLite default under var_dir
    if test_database() == "postgres":  # its own database: tests/retrieval empties shop_test after each test
        database_url = create_database(request.getfixturevalue("postgres_url"), "shop_catalog")
    # Every test client comes from 127.0.0.1: the per-address limit would count the whole suite as
    # one client. The limits have tests of their own (tests/web/test_api.py, tests/reliability).
    settings = Settings(
        var_dir=var_dir, catalog_path=catalog, catalog_mapping=DEMO_MAPPING, database_url=database_url,
        action_port=free_port(), rasa_port=free_port(), web_port=free_port(), rate_per_ip=1_000_000,
        # The console's export writes here, never into the working tree.
        review_export_dir=var_dir / "project",
    )
    report = ingest(settings)
    assert report.ingested > 1000, report.summary()
    return settings


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The model `make test` trained (SHOP_TEST_MODEL), else the newest one in models/."""
    from shop.ops.stack import StackError, latest_model

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
    from shop.ops.stack import Stack

    with Stack(settings=catalog_settings, model=trained_model) as stack:
        yield stack
