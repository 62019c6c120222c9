"""Production mode on one machine: PostgreSQL, Redis, N Rasa replicas, N action workers, N web apps, nginx.

Why on one machine: it is the same topology as a multi-machine deployment (deploy/KUBERNETES.md),
so the load benchmark and the fault tests exercise the real failure modes (a replica dies, the
database restarts, the lock store restarts) with real processes. Secrets are generated on the first
run into ``<var>/secrets.env`` (mode 600); nothing secret is in the repository.

Only the web app is published (nginx's public port); Rasa, the action workers, Redis and PostgreSQL
listen on loopback, and Rasa needs its token besides. SIGTERM or SIGINT (Ctrl-C) stops every service
in order (web apps, nginx, Rasa, action workers, Redis, PostgreSQL), each within a grace period, so
the next start finds every port free.

Usage: python -m shop.ops.prod [--model models/x.tar.gz]   (``make prod`` does the setup first)
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from shop.ops.nginx import Nginx
from shop.ops.ports import held_message
from shop.ops.postgres import PostgresCluster
from shop.ops.redis_server import RedisServer, write_private
from shop.ops.stack import ML_PYTHON, Server, StackError, base_env, port_in_use, rasa_run_command
from shop.settings import REPO_ROOT, Settings

PROD_ENDPOINTS = REPO_ROOT / "bot" / "endpoints.prod.yml"
PROD_CREDENTIALS = REPO_ROOT / "bot" / "credentials.prod.yml"
SECRET_KEYS = ("SHOP_PG_PASSWORD", "SHOP_REDIS_PASSWORD")
# Redis databases: Rasa's lock store uses 1 (bot/endpoints.prod.yml); the web apps' shared state 2.
WEB_REDIS_DB = 2
# The order services stop in: customers' entry first, the stores they write to last.
STOP_ORDER = ("web", "nginx", "rasa", "actions", "redis", "postgresql")


def load_secrets(path: Path) -> dict[str, str]:
    """Read ``KEY=value`` lines, adding a random value for every missing key (file mode 600)."""
    values: dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            key, sep, value = line.partition("=")
            if sep and not key.startswith("#"):
                values[key.strip()] = value.strip()
    missing = [key for key in SECRET_KEYS if not values.get(key)]
    if missing:
        values.update({key: secrets.token_urlsafe(24) for key in missing})
        header = "# Generated on first run of production mode; keep private (mode 600). Edit to rotate.\n"
        write_private(path, header + "".join(f"{k}={v}\n" for k, v in values.items()))
    return values


@dataclass
class ProdStack:
    """Every process of production mode, started in dependency order and stopped in ``STOP_ORDER``."""

    settings: Settings
    model: Path
    web: bool = True
    durable: bool = True
    servers: dict[str, Server] = field(default_factory=dict)
    say: Callable[..., None] = field(default=lambda *_a, **_k: None, repr=False)

    def __post_init__(self) -> None:
        s = self.settings
        self.root = s.var_dir
        found = load_secrets(self.root / "secrets.env")
        self.pg = PostgresCluster(self.root / "pg", s.prod_pg_port, found["SHOP_PG_PASSWORD"], durable=self.durable)
        self.pg_started = False  # stop() leaves alone a PostgreSQL this stack did not start (another run's)
        self.redis = RedisServer(self.root / "redis", s.prod_redis_port, found["SHOP_REDIS_PASSWORD"])
        self.rasa_ports = [s.prod_service_port + 1 + i for i in range(s.prod_rasa_replicas)]
        self.action_ports = [s.prod_service_port + 11 + i for i in range(s.prod_action_workers)]
        self.web_ports = [s.prod_service_port + 20 + i for i in range(s.prod_web_replicas)] if self.web else []
        self.nginx = Nginx(self.root / "nginx", self.logs, s.prod_port, s.prod_port + 1, self.rasa_ports, self.action_ports,
                           web_ports=self.web_ports, rasa_port=s.prod_port + 2, public_host=s.prod_public_host,
                           turn_timeout=s.prod_turn_timeout)
        # What our own processes (actions, web, ingestion) are told: the PostgreSQL store, JSON logs,
        # Rasa through nginx's loopback balancer, Redis for the web apps' shared state.
        self.app_settings = s.model_copy(update={
            "database_url": self.pg.url("shop"), "tracker_url": self.pg.url("rasa"), "log_format": "json", "rasa_url": self.rasa_url,
            "web_port": self.web_ports[0] if self.web_ports else s.web_port, "redis_url": self.redis.url(WEB_REDIS_DB),
            # Long enough for two tries of a turn (nginx asks a second replica after prod_turn_timeout).
            "rasa_timeout": 2 * s.prod_turn_timeout + 5,
        })

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def public_url(self) -> str:
        host = "127.0.0.1" if self.settings.prod_public_host in ("0.0.0.0", "127.0.0.1") else self.settings.prod_public_host
        return f"http://{host}:{self.settings.prod_port}"

    @property
    def rasa_url(self) -> str:
        """Internal: nginx's loopback balancer of the Rasa replicas (the web app's way to Rasa)."""
        return f"http://127.0.0.1:{self.nginx.rasa_balancer_port}"

    @property
    def token(self) -> str:
        return self.settings.resolved_rasa_token

    def ports(self) -> list[tuple[int, str]]:
        """Every port this stack listens on, and what listens there."""
        named = [(self.pg.port, "PostgreSQL"), (self.redis.port, "Redis"),
                 (self.settings.prod_port, "nginx, public"), (self.settings.prod_port + 1, "nginx, action balancer"),
                 (self.nginx.rasa_balancer_port, "nginx, Rasa balancer")]
        named += [(port, f"Rasa replica {i + 1}") for i, port in enumerate(self.rasa_ports)]
        named += [(port, f"action worker {i + 1}") for i, port in enumerate(self.action_ports)]
        named += [(port, f"web app {i + 1}") for i, port in enumerate(self.web_ports)]
        return named

    # -- environments -------------------------------------------------------------------------
    def app_env(self) -> dict[str, str]:
        return base_env(self.app_settings, {"SHOP_LOG_FORMAT": "json"})

    def rasa_env(self) -> dict[str, str]:
        return base_env(self.app_settings, {
            "SHOP_ACTION_URL": f"http://127.0.0.1:{self.settings.prod_port + 1}/webhook",
            "SHOP_PG_HOST": "127.0.0.1", "SHOP_PG_PORT": str(self.pg.port), "SHOP_PG_USER": self.pg.user,
            "SHOP_PG_PASSWORD": self.pg.password, "SHOP_PG_TRACKER_DB": "rasa",
            "SHOP_REDIS_HOST": "127.0.0.1", "SHOP_REDIS_PORT": str(self.redis.port), "SHOP_REDIS_PASSWORD": self.redis.password,
            "TICKET_LOCK_LIFETIME": str(self.settings.prod_lock_lifetime),
            "SQL_POOL_SIZE": "20", "SQL_MAX_OVERFLOW": "20",
        })

    # -- processes ----------------------------------------------------------------------------
    def _launch(self, key: str, name: str, command: list[str], env: dict[str, str], health: str, ready: str = "",
                params: dict[str, str] | None = None) -> Server:
        port = int(health.split(":")[2].split("/")[0])
        if port_in_use(port):
            raise StackError(f"{held_message(port, name)}; or change SHOP_PROD_SERVICE_PORT")
        log_path = self.logs / f"{key}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:
            process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        server = Server(name=name, process=process, health_url=health, log_path=log_path, ready_check=ready, health_params=params or {})
        self.servers[key] = server
        return server

    def start_action(self, index: int) -> Server:
        port = self.action_ports[index]
        return self._launch(f"actions-{index + 1}", f"action worker {index + 1}",
                            [str(ML_PYTHON), "-m", "actions.server", "--port", str(port)], self.app_env(),
                            f"http://127.0.0.1:{port}/health")

    def start_rasa(self, index: int) -> Server:
        port = self.rasa_ports[index]
        command = rasa_run_command(self.model, port, PROD_ENDPOINTS, PROD_CREDENTIALS)  # the token travels in rasa_env
        return self._launch(f"rasa-{index + 1}", f"Rasa replica {index + 1}", command, self.rasa_env(),
                            f"http://127.0.0.1:{port}/status", ready="model_file", params={"token": self.token})

    def start_web(self, index: int = 0) -> Server:
        port = self.web_ports[index]
        return self._launch(f"web-{index + 1}", f"web app {index + 1}",
                            [str(ML_PYTHON), "-m", "web", "--host", "127.0.0.1", "--port", str(port)],
                            self.app_env(), f"http://127.0.0.1:{port}/healthz")

    def ingest(self) -> None:
        """Load the catalog into PostgreSQL and build the FAISS index (incremental: fast when unchanged)."""
        result = subprocess.run([str(ML_PYTHON), "-m", "retrieval", "ingest"], cwd=REPO_ROOT, env=self.app_env())
        if result.returncode != 0:
            raise StackError("catalog ingestion into PostgreSQL failed (see the lines above)")

    def kill(self, key: str) -> None:
        """SIGKILL one of our servers (fault tests): no graceful shutdown, like a crashed machine."""
        server = self.servers[key]
        if server.process.poll() is None:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=10)

    def check_free(self) -> None:
        """Before starting: every port free and no PostgreSQL of an earlier run; else say who holds what."""
        claimed: dict[int, str] = {}
        for port, what in self.ports():
            if port in claimed:
                raise StackError(f"port {port} is configured for both {claimed[port]} and {what}: change SHOP_PROD_PORT "
                                 "(nginx takes it and the next two), SHOP_PROD_SERVICE_PORT, SHOP_PROD_PG_PORT or SHOP_PROD_REDIS_PORT")
            claimed[port] = what
        problems = [held_message(port, what) for port, what in self.ports() if port_in_use(port)]
        try:
            note = self.pg.check_not_running()
            if note:
                self.say(f"[prod] {note}", flush=True)
        except RuntimeError as error:
            problems.insert(0, str(error))
        if problems:
            raise StackError("production mode cannot start; an earlier run seems to be still running:\n  - " + "\n  - ".join(problems))

    def start(self) -> ProdStack:
        """Bring everything up, in dependency order; on any failure stop what was started."""
        if not self.model.exists():
            raise StackError(f"no trained model at {self.model}; run `make train` first")
        self.check_free()
        try:
            self.say("[prod] PostgreSQL: " + ("initialised a new cluster" if self.pg.initialise() else "existing cluster"), flush=True)
            self.pg_started = True
            self.pg.start()
            self.redis.start()
            self.say(f"[prod] PostgreSQL on 127.0.0.1:{self.pg.port}, Redis on 127.0.0.1:{self.redis.port}; ingesting the catalog", flush=True)
            self.ingest()
            for index in range(len(self.action_ports)):
                self.start_action(index)
            for index in range(len(self.rasa_ports)):
                self.start_rasa(index)
            self.say(f"[prod] waiting for {len(self.action_ports)} action workers and {len(self.rasa_ports)} Rasa replicas", flush=True)
            for key, server in list(self.servers.items()):
                server.wait_ready(180 if key.startswith("actions") else 400)
            for index in range(len(self.web_ports)):  # one after the other: each migrates the web tables at start
                self.start_web(index).wait_ready(90)
            self.nginx.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop in ``STOP_ORDER`` (each only if it runs), every service within the grace period."""
        grace = self.settings.prod_stop_grace
        for kind in STOP_ORDER:
            if kind == "nginx":
                self.nginx.stop(timeout=grace)
            elif kind == "redis":
                self.redis.stop(timeout=grace)
            elif kind == "postgresql" and self.pg_started:
                self.pg.stop(timeout=grace)
            else:
                for key, server in list(self.servers.items()):
                    if key.startswith(kind + "-"):
                        server.stop(timeout=grace)
            self.say(f"[prod] stopped {kind}", flush=True)

    def __enter__(self) -> ProdStack:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def supervise(stack: ProdStack, restarts: dict[str, int]) -> None:
    """Restart any replica/worker that died (a crash must not shrink the pool for good)."""
    for key, server in list(stack.servers.items()):
        if server.process.poll() is None:
            continue
        restarts[key] = restarts.get(key, 0) + 1
        print(f"[prod] {server.name} exited with code {server.process.returncode}; restarting (restart #{restarts[key]})", flush=True)
        del stack.servers[key]
        kind, _, number = key.partition("-")
        starter = {"actions": stack.start_action, "rasa": stack.start_rasa, "web": stack.start_web}[kind]
        starter(int(number) - 1).wait_ready(400)
        time.sleep(0.1)


class ShutdownRequested(BaseException):
    """SIGTERM or SIGINT arrived: stop everything in order (a BaseException, like KeyboardInterrupt: no
    ``except Exception`` on the way may swallow it)."""


def _shutdown_on_signal(signum: int, _frame: FrameType | None) -> None:
    """The first SIGTERM/SIGINT starts the orderly stop; later ones must not interrupt it halfway."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise ShutdownRequested(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    """`make prod`: start everything, print the URLs, keep the pool whole, stop everything on SIGTERM/Ctrl-C."""
    import argparse
    import sys

    from shop.ops.stack import latest_model
    from shop.settings import get_settings

    parser = argparse.ArgumentParser(description="Production mode on this machine (PostgreSQL, Redis, nginx, replicas).")
    parser.add_argument("--model", type=Path, help="trained model (default: newest in models/)")
    args = parser.parse_args(argv)
    base = get_settings()
    settings = base if os.environ.get("SHOP_VAR_DIR") else base.model_copy(update={"var_dir": base.var_dir / "prod"})
    signal.signal(signal.SIGTERM, _shutdown_on_signal)
    signal.signal(signal.SIGINT, _shutdown_on_signal)
    started = time.monotonic()
    stack: ProdStack | None = None
    try:
        stack = ProdStack(settings=settings, model=args.model or latest_model(), say=print)
        stack.start()
        url = stack.public_url
        print(f"\nProduction mode is ready ({time.monotonic() - started:.0f}s to start). Public (the web app only):")
        print(f"  Store + chat:     {url}/        Staff console: {url}/console")
        print(f"  Customer API:     {url}/api/v1/customers (issues a bearer token), {url}/api/v1/messages")
        print(f"  Health:           {url}/healthz (nginx)")
        print(f"Internal (loopback only): web apps on {', '.join(map(str, stack.web_ports))}; Rasa replicas on "
              f"{', '.join(map(str, stack.rasa_ports))} behind {stack.rasa_url} (token); action workers on "
              f"{', '.join(map(str, stack.action_ports))}")
        print(f"  PostgreSQL:       127.0.0.1:{stack.pg.port} (databases shop, rasa; user shop; password in {settings.var_dir / 'secrets.env'})")
        print(f"  Redis:            127.0.0.1:{stack.redis.port} (Rasa's lock store, the web apps' rate limits and live messages)")
        print(f"  Logs (JSON):      {stack.logs}")
        print(f"Stop with Ctrl-C or `kill {os.getpid()}` (SIGTERM): every service stops, in order.", flush=True)
        restarts: dict[str, int] = {}
        while True:
            time.sleep(1)
            supervise(stack, restarts)
    except ShutdownRequested as why:
        print(f"\n[prod] {why}: stopping ...", flush=True)
        return 0
    except (StackError, RuntimeError) as error:  # a start or a restart failed: say why, then stop cleanly
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if stack is not None:
            stack.stop()
            print("[prod] stopped", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
