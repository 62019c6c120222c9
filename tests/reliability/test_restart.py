"""Production mode's supervisor (`make prod`'s entry point) stops everything it started, in order, on
SIGTERM and on SIGINT, and starts again at once afterwards; a second start while one runs says who
holds the ports.

Its own small stack (one process of each kind, its own ports and folder), started twice.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shop.ops.ports import listeners
from shop.ops.stack import ML_PYTHON
from shop.settings import REPO_ROOT
from tests.conftest import DEMO_MAPPING, write_catalog_subset

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
# Apart from the session's stack (tests/reliability/conftest.py), which runs meanwhile.
PUBLIC_PORT, SERVICE_PORT, PG_PORT, REDIS_PORT = 6470, 5470, 6474, 6475
GRACE = 10
READY = "Production mode is ready"


@pytest.fixture(scope="module")
def prod_env(trained_model: Path) -> Iterator[dict[str, str]]:
    var_dir = Path(tempfile.mkdtemp(prefix="shop-restart-"))
    var_dir.chmod(0o755)  # PostgreSQL runs as the postgres user
    env = {
        **os.environ, "PYTHONPATH": str(REPO_ROOT), "SHOP_VAR_DIR": str(var_dir),
        "SHOP_CATALOG_PATH": str(write_catalog_subset(var_dir / "catalog.csv")), "SHOP_CATALOG_MAPPING": str(DEMO_MAPPING),
        "SHOP_PROD_PORT": str(PUBLIC_PORT), "SHOP_PROD_SERVICE_PORT": str(SERVICE_PORT), "SHOP_PROD_PG_PORT": str(PG_PORT),
        "SHOP_PROD_REDIS_PORT": str(REDIS_PORT), "SHOP_PROD_RASA_REPLICAS": "1", "SHOP_PROD_ACTION_WORKERS": "1",
        "SHOP_PROD_WEB_REPLICAS": "1", "SHOP_PROD_STOP_GRACE": str(GRACE), "SHOP_TEST_MODEL": str(trained_model),
    }
    try:
        yield env
    finally:
        kept = REPO_ROOT / "var" / "test-results" / "restart-logs"
        shutil.rmtree(kept, ignore_errors=True)
        if (var_dir / "logs").exists():
            shutil.copytree(var_dir / "logs", kept, dirs_exist_ok=True)
        shutil.rmtree(var_dir, ignore_errors=True)


def start(env: dict[str, str], log: Path, timeout: float = 600) -> subprocess.Popen[bytes]:
    """The supervisor as `make prod` runs it, once it says it is ready."""
    with log.open("wb") as out:
        process = subprocess.Popen([str(ML_PYTHON), "-m", "shop.ops.prod", "--model", env["SHOP_TEST_MODEL"]], cwd=REPO_ROOT, env=env,
                                   stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if READY in log.read_text(errors="replace"):
            return process
        if process.poll() is not None:
            pytest.fail(f"the supervisor exited with {process.returncode} before it was ready:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(1)
    process.kill()
    pytest.fail(f"not ready after {timeout:.0f} s:\n{log.read_text(errors='replace')[-3000:]}")


def children(pid: int) -> set[int]:
    """Every descendant of ``pid`` (through /proc's parent links)."""
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def stack_processes(supervisor: int, env: dict[str, str]) -> set[int]:
    """The supervisor's descendants plus PostgreSQL's (pg_ctl starts it detached)."""
    pids = children(supervisor)
    pid_file = Path(env["SHOP_VAR_DIR"]) / "pg" / "data" / "postmaster.pid"
    postmaster = int(pid_file.read_text().splitlines()[0])
    return pids | {postmaster} | children(postmaster)


def ports(env: dict[str, str]) -> list[int]:
    return [PUBLIC_PORT, PUBLIC_PORT + 1, PUBLIC_PORT + 2, PG_PORT, REDIS_PORT, SERVICE_PORT + 1, SERVICE_PORT + 11, SERVICE_PORT + 20]


def stop_and_check(process: subprocess.Popen[bytes], env: dict[str, str], log: Path, signum: int) -> None:
    tree = stack_processes(process.pid, env)
    assert len(tree) >= 7, tree  # nginx (2), Redis, Rasa, actions, web, PostgreSQL (+ its workers)
    began = time.monotonic()
    process.send_signal(signum)
    assert process.wait(timeout=6 * GRACE + 60) == 0, log.read_text(errors="replace")[-3000:]
    took = time.monotonic() - began
    survivors = {pid: Path(f"/proc/{pid}/cmdline").read_bytes()[:100] for pid in tree if running(pid)}
    assert not survivors, f"left running after {signal.Signals(signum).name}: {survivors}"
    assert not [port for port in ports(env) if listeners(port)], "a port is still held"
    text = log.read_text(errors="replace")
    order = [text.index(f"[prod] stopped {kind}") for kind in ("web", "nginx", "rasa", "actions", "redis", "postgresql")]
    assert order == sorted(order), text[-2000:]
    assert took < 6 * GRACE + 30


def test_sigterm_and_sigint_stop_everything_and_it_starts_again_at_once(prod_env: dict[str, str], tmp_path: Path) -> None:
    first = start(prod_env, tmp_path / "first.log")
    try:
        # A second start meanwhile says who holds the ports, and how to stop them, without touching anything.
        second = subprocess.run([str(ML_PYTHON), "-m", "shop.ops.prod", "--model", prod_env["SHOP_TEST_MODEL"]], cwd=REPO_ROOT,
                                env=prod_env, capture_output=True, text=True, timeout=120)
        assert second.returncode == 2, second.stdout + second.stderr
        assert "is held by pid" in second.stderr and "kill " in second.stderr and "PostgreSQL of an earlier run" in second.stderr, second.stderr
        assert first.poll() is None, "the refused start must leave the running one alone"
        stop_and_check(first, prod_env, tmp_path / "first.log", signal.SIGTERM)
    finally:
        if first.poll() is None:
            first.kill()
    began = time.monotonic()
    again = start(prod_env, tmp_path / "again.log")
    try:
        assert time.monotonic() - began < 400
        assert "earlier run" not in (tmp_path / "again.log").read_text(errors="replace")
        stop_and_check(again, prod_env, tmp_path / "again.log", signal.SIGINT)
    finally:
        if again.poll() is None:
            again.kill()
