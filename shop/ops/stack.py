"""Starting, probing and stopping the assistant's servers (Rasa, action server, web app).

Used by ``make run`` and by the integration tests, so both start the product exactly the same way.
Rasa runs in ``.venv-rasa`` (Python 3.10); the action server and the web app in ``.venv-ml`` (Python 3.11).
Rasa's HTTP API (trackers, events) and its REST channel are protected by a token only the web app
(and internal tools) are given, passed in the environment (``SHOP_RASA_TOKEN``), never on a command
line. Customers talk to the web app only; Rasa allows cross-origin calls from the web app's origin only.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shop.ops.ports import held_message
from shop.settings import REPO_ROOT, Settings, get_settings

RASA_PYTHON = REPO_ROOT / ".venv-rasa" / "bin" / "python"
ML_PYTHON = REPO_ROOT / ".venv-ml" / "bin" / "python"


class StackError(RuntimeError):
    """A server could not be started; the message says why and what to do."""


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def free_port() -> int:
    """A port nobody listens on now (for tests that start their own servers)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def base_env(settings: Settings, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment shared by both servers: offline models, no telemetry, our settings."""
    env = dict(os.environ)
    env.update({
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "RASA_TELEMETRY_ENABLED": "false",
        "PYTHONPATH": str(REPO_ROOT),
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "SHOP_VAR_DIR": str(settings.var_dir),
        "SHOP_DATABASE_URL": settings.resolved_database_url,
        "SHOP_INDEX_DIR": str(settings.resolved_index_dir),
        "SHOP_CATALOG_PATH": str(settings.catalog_path),
        "SHOP_CATALOG_MAPPING": str(settings.catalog_mapping),
        "SHOP_ACTION_PORT": str(settings.action_port),
        "SHOP_RASA_PORT": str(settings.rasa_port),
        "SHOP_FEEDBACK_RERANK": "true" if settings.feedback_rerank else "false",
        "SHOP_RASA_URL": settings.resolved_rasa_url,
        "SHOP_WEB_PORT": str(settings.web_port),
        "SHOP_HANDOFF_TIMEOUT_SECONDS": str(settings.handoff_timeout_seconds),
        "SHOP_ACTION_URL": f"http://127.0.0.1:{settings.action_port}/webhook",
        "SHOP_TRACKER_DB": str(settings.var_dir / "tracker.db"),
        "SHOP_LOCK_DB": str(settings.var_dir / "locks.db"),
        # The web app reads it for the review queue (review/collect.py); Rasa's own endpoints file says where it is.
        "SHOP_TRACKER_URL": settings.resolved_tracker_url,
        "SHOP_REVIEW_SCAN_SECONDS": str(settings.review_scan_seconds),
        "SHOP_REVIEW_EXPORT_DIR": str(settings.review_export_dir),
        "SHOP_MODELS_DIR": str(settings.models_dir),
        "SHOP_REVIEW_ABANDON_SECONDS": str(settings.review_abandon_seconds),
        "SHOP_REVIEW_LOW_CONFIDENCE": str(settings.review_low_confidence),
        "SHOP_RASA_TOKEN": settings.resolved_rasa_token,  # read by bot.serve and the credentials file, never argv
        "SHOP_RASA_TIMEOUT": str(settings.rasa_timeout),
        "SHOP_REDIS_URL": settings.redis_url,
        "SHOP_WEB_FORWARDED_ALLOW_IPS": settings.web_forwarded_allow_ips,
        "SHOP_RATE_WINDOW_SECONDS": str(settings.rate_window_seconds),
        "SHOP_RATE_PER_CUSTOMER": str(settings.rate_per_customer),
        "SHOP_RATE_PER_IP": str(settings.rate_per_ip),
        "SHOP_NEW_CUSTOMERS_PER_IP_HOUR": str(settings.new_customers_per_ip_hour),
    })
    env.update(extra or {})
    return env


@dataclass
class Server:
    """A started server process, its health URL and its log file."""

    name: str
    process: subprocess.Popen[bytes]
    health_url: str
    log_path: Path
    ready_check: str = ""  # a text the health response must contain
    health_params: dict[str, str] = field(default_factory=dict)  # e.g. Rasa's API token, kept out of messages

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise StackError(f"{self.name} exited with code {self.process.returncode}; last log lines:\n{self.tail()}")
            try:
                response = httpx.get(self.health_url, params=self.health_params, timeout=2.0)
                if response.status_code == 200 and self.ready_check in response.text:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise StackError(f"{self.name} was not ready after {timeout:.0f}s ({self.health_url}); last log lines:\n{self.tail()}")

    def tail(self, lines: int = 25) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM to its process group, SIGKILL after ``timeout`` seconds; children die with it."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        with contextlib.suppress(ProcessLookupError, PermissionError):  # workers it left behind in its group
            os.killpg(self.process.pid, signal.SIGKILL)


def spawn(
    name: str, command: list[str], env: dict[str, str], log_path: Path, health_url: str, ready_check: str = "",
    health_params: dict[str, str] | None = None,
) -> Server:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("wb")
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return Server(name=name, process=process, health_url=health_url, log_path=log_path, ready_check=ready_check,
                  health_params=health_params or {})


def start_action_server(settings: Settings, env: dict[str, str]) -> Server:
    if port_in_use(settings.action_port):
        raise StackError(f"{held_message(settings.action_port, 'action server')}; or set SHOP_ACTION_PORT")
    return spawn(
        "action server",
        [str(ML_PYTHON), "-m", "actions.server", "--port", str(settings.action_port)],
        env,
        settings.var_dir / "logs" / "actions.log",
        f"http://127.0.0.1:{settings.action_port}/health",
    )


def rasa_run_command(model: Path, port: int, endpoints: Path, credentials: Path, cors: list[str] | None = None) -> list[str]:
    """``rasa run`` on loopback with the HTTP API enabled, through ``bot.serve``.

    No token here: a command line is visible to every user (``ps``). ``bot.serve`` reads it from
    ``SHOP_RASA_TOKEN`` in the environment (``base_env``) and hands it to Rasa inside the process.
    ``cors``: the origins whose pages may call Rasa from a browser (none unless given).
    """
    command = [str(RASA_PYTHON), "-m", "bot.serve", "run", "--enable-api", "--interface", "127.0.0.1", "--port", str(port),
               "--model", str(model), "--endpoints", str(endpoints), "--credentials", str(credentials)]
    return command + (["--cors", *cors] if cors else [])


def web_origins(settings: Settings) -> list[str]:
    """The web app's own origins: the only pages a browser may let call Rasa."""
    return [f"http://127.0.0.1:{settings.web_port}", f"http://localhost:{settings.web_port}"]


def start_rasa(settings: Settings, env: dict[str, str], model: Path, endpoints: Path | None = None) -> Server:
    if port_in_use(settings.rasa_port):
        raise StackError(f"{held_message(settings.rasa_port, 'Rasa')}; or set SHOP_RASA_PORT")
    if not model.exists():
        raise StackError(f"no trained model at {model}; run `make train` first")
    command = rasa_run_command(model, settings.rasa_port, endpoints or REPO_ROOT / "bot" / "endpoints.yml",
                               REPO_ROOT / "bot" / "credentials.yml", cors=web_origins(settings))
    # Several workers on one port, conversations locked across them (bot/sqlite_lock_store.py).
    env = {**env, "SANIC_WORKERS": str(settings.rasa_workers)}
    return spawn("Rasa server", command, env, settings.var_dir / "logs" / "rasa.log",
                  f"http://127.0.0.1:{settings.rasa_port}/status", ready_check="model_file",
                  health_params={"token": settings.resolved_rasa_token})


def start_web(settings: Settings, env: dict[str, str], log_name: str = "web.log") -> Server:
    """The web app: demo store + chat widget for customers, console for staff."""
    if port_in_use(settings.web_port):
        raise StackError(f"{held_message(settings.web_port, 'web app')}; or set SHOP_WEB_PORT")
    return spawn(
        "web app",
        [str(ML_PYTHON), "-m", "web", "--host", settings.web_host, "--port", str(settings.web_port)],
        env,
        settings.var_dir / "logs" / log_name,
        f"http://127.0.0.1:{settings.web_port}/healthz",
    )


RASA_WORKER_READY = "Rasa server is up and running"


def wait_for_workers(rasa: Server, workers: int, timeout: float) -> None:
    """Wait until every Rasa worker has loaded its model (the port answers as soon as the first has).

    A worker still loading takes no connections, so nothing fails meanwhile; but it competes for
    the CPU, and a caller that measures or tests the workers wants them all up.
    """
    deadline = time.monotonic() + timeout
    while rasa.log_path.read_text(errors="replace").count(RASA_WORKER_READY) < workers:
        if rasa.process.poll() is not None or time.monotonic() > deadline:
            raise StackError(f"{rasa.name}: fewer than {workers} workers came up; last log lines:\n{rasa.tail()}")
        time.sleep(0.5)


def latest_model(models_dir: Path | None = None) -> Path:
    models_dir = models_dir or get_settings().models_dir
    candidates = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not candidates:
        raise StackError(f"no trained model in {models_dir}; run `make train` first")
    return candidates[-1]


@dataclass
class Stack:
    """The servers, started in dependency order and stopped together (the web app only when ``web``)."""

    settings: Settings
    model: Path
    web: bool = False
    servers: list[Server] = field(default_factory=list)

    def __enter__(self) -> Stack:
        env = base_env(self.settings)
        try:
            actions = start_action_server(self.settings, env)
            self.servers.append(actions)
            rasa = start_rasa(self.settings, env, self.model)
            self.servers.append(rasa)
            actions.wait_ready(120)
            rasa.wait_ready(240)
            wait_for_workers(rasa, self.settings.rasa_workers, 240)
            if self.web:
                self.start_web()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def start_web(self) -> Server:
        """Start the web app against this stack's Rasa (also callable after ``__enter__``)."""
        web = start_web(self.settings, base_env(self.settings))
        self.servers.append(web)
        web.wait_ready(60)
        return web

    def stop(self) -> None:
        for server in reversed(self.servers):
            server.stop()


def _stop_on_sigterm(_signum: int, _frame: object) -> None:
    """A TERM (from a supervisor or `kill`) stops the servers like Ctrl-C does, leaving no orphans."""
    raise KeyboardInterrupt


def main() -> int:
    """`make run`: start everything, say how to chat, run until Ctrl-C."""
    from shop.settings import get_settings

    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    settings = get_settings()
    started = time.monotonic()
    try:
        stack = Stack(settings=settings, model=latest_model(), web=True).__enter__()
    except StackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    web = f"http://127.0.0.1:{settings.web_port}"
    print(f"\nThe shopping assistant is ready ({time.monotonic() - started:.0f}s to start).")
    print(f"  Store + chat:   {web}/")
    print(f"  Staff console:  {web}/console   (accounts: .venv-ml/bin/python -m web.accounts create NAME)")
    print(f"  Terminal chat:  make chat          (or: .venv-ml/bin/python -m shop.ops.chat --url {web})")
    print(f"  API:            TOKEN=$(curl -s -X POST {web}/api/v1/customers | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"token\"])')")
    print(f"                  curl -s {web}/api/v1/messages -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' \\")
    print("                    -d '{\"message\": \"show me black running shoes for men\", \"message_id\": \"m-1\"}'")
    print(f"  Logs:           {settings.var_dir / 'logs'}   (Rasa on {settings.resolved_rasa_url} is internal: token only)")
    print("Press Ctrl-C to stop.")
    try:
        while all(server.process.poll() is None for server in stack.servers):
            time.sleep(1)
        dead = [s for s in stack.servers if s.process.poll() is not None]
        for server in dead:
            print(f"error: {server.name} stopped unexpectedly; last log lines:\n{server.tail()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping ...")
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
