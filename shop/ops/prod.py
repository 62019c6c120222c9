"""Production mode on one machine: PostgreSQL, Redis, N Rasa replicas, N action workers, nginx.

Why on one machine: it is the same topology as a multi-machine deployment (deploy/KUBERNETES.md),
so the load benchmark and the fault tests exercise the real failure modes (a replica dies, the
database restarts, the lock store restarts) with real processes. Secrets are generated on the first
run into ``<var>/secrets.env`` (mode 600); nothing secret is in the repository.

Usage: python -m shop.ops.prod [--model models/x.tar.gz] [--no-web]   (``make prod`` does the setup first)
"""

from __future__ import annotations

import os
import secrets
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from shop.ops.nginx import Nginx
from shop.ops.postgres import PostgresCluster
from shop.ops.redis_server import RedisServer, write_private
from shop.ops.stack import ML_PYTHON, Server, StackError, base_env, port_in_use, rasa_run_command
from shop.settings import REPO_ROOT, Settings

PROD_ENDPOINTS = REPO_ROOT / "bot" / "endpoints.prod.yml"
PROD_CREDENTIALS = REPO_ROOT / "bot" / "credentials.prod.yml"
SECRET_KEYS = ("SHOP_PG_PASSWORD", "SHOP_REDIS_PASSWORD")


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
    """Every process of production mode, started in dependency order and stopped in reverse."""

    settings: Settings
    model: Path
    web: bool = True
    durable: bool = True
    servers: dict[str, Server] = field(default_factory=dict)

    def __post_init__(self) -> None:
        s = self.settings
        self.root = s.var_dir
        found = load_secrets(self.root / "secrets.env")
        self.pg = PostgresCluster(self.root / "pg", s.prod_pg_port, found["SHOP_PG_PASSWORD"], durable=self.durable)
        self.redis = RedisServer(self.root / "redis", s.prod_redis_port, found["SHOP_REDIS_PASSWORD"])
        self.rasa_ports = [s.prod_service_port + 1 + i for i in range(s.prod_rasa_replicas)]
        self.action_ports = [s.prod_service_port + 11 + i for i in range(s.prod_action_workers)]
        self.web_port = s.prod_service_port + 20 if self.web else None
        self.nginx = Nginx(self.root / "nginx", self.logs, s.prod_port, s.prod_port + 1, self.rasa_ports, self.action_ports, self.web_port)
        # What our own processes (actions, web, ingestion) are told: the PostgreSQL store, JSON logs.
        self.app_settings = s.model_copy(update={
            "database_url": self.pg.url("shop"), "log_format": "json", "rasa_url": self.public_url,
            "web_port": self.web_port or s.web_port,
        })

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.prod_port}"

    @property
    def token(self) -> str:
        return self.settings.resolved_rasa_token

    # -- environments -------------------------------------------------------------------------
    def app_env(self) -> dict[str, str]:
        return base_env(self.app_settings, {"SHOP_LOG_FORMAT": "json", "SHOP_RASA_TOKEN": self.token})

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
            raise StackError(f"port {port} ({name}) is already in use; stop that process or change SHOP_PROD_SERVICE_PORT")
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
        command = rasa_run_command(self.model, port, PROD_ENDPOINTS, PROD_CREDENTIALS, self.token)
        return self._launch(f"rasa-{index + 1}", f"Rasa replica {index + 1}", command, self.rasa_env(),
                            f"http://127.0.0.1:{port}/status", ready="model_file", params={"token": self.token})

    def start_web(self) -> Server:
        assert self.web_port is not None
        return self._launch("web", "web app", [str(ML_PYTHON), "-m", "web", "--host", "127.0.0.1", "--port", str(self.web_port)],
                            self.app_env(), f"http://127.0.0.1:{self.web_port}/healthz")

    def ingest(self) -> None:
        """Load the catalog into PostgreSQL and build the FAISS index (incremental: fast when unchanged)."""
        result = subprocess.run([str(ML_PYTHON), "-m", "retrieval", "ingest"], cwd=REPO_ROOT, env=self.app_env())
        if result.returncode != 0:
            raise StackError("catalog ingestion into PostgreSQL failed (see the lines above)")

    def kill(self, key: str) -> None:
        """SIGKILL one of our servers (fault tests): no graceful shutdown, like a crashed machine."""
        server = self.servers[key]
        if server.process.poll() is None:
            os.killpg(server.process.pid, 9)
            server.process.wait(timeout=10)

    def start(self, progress: bool = True) -> ProdStack:
        """Bring everything up, in dependency order; on any failure stop what was started."""
        say = print if progress else (lambda *_a, **_k: None)
        if not self.model.exists():
            raise StackError(f"no trained model at {self.model}; run `make train` first")
        try:
            say("[prod] PostgreSQL: " + ("initialised a new cluster" if self.pg.initialise() else "existing cluster"), flush=True)
            self.pg.start()
            self.redis.start()
            say(f"[prod] PostgreSQL on 127.0.0.1:{self.pg.port}, Redis on 127.0.0.1:{self.redis.port}; ingesting the catalog", flush=True)
            self.ingest()
            for index in range(len(self.action_ports)):
                self.start_action(index)
            for index in range(len(self.rasa_ports)):
                self.start_rasa(index)
            say(f"[prod] waiting for {len(self.action_ports)} action workers and {len(self.rasa_ports)} Rasa replicas", flush=True)
            for key, server in list(self.servers.items()):
                server.wait_ready(180 if key.startswith("actions") else 400)
            if self.web:
                self.start_web().wait_ready(90)
            self.nginx.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop in reverse order: nginx, our servers, Redis, PostgreSQL (each only if it runs)."""
        self.nginx.stop()
        for server in reversed(list(self.servers.values())):
            server.stop()
        self.redis.stop()
        self.pg.stop()

    def __enter__(self) -> ProdStack:
        return self.start(progress=False)

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def supervise(stack: ProdStack, restarts: dict[str, int]) -> None:
    """Restart any replica/worker that died (a crash must not shrink the pool for good)."""
    import time

    for key, server in list(stack.servers.items()):
        if server.process.poll() is None:
            continue
        restarts[key] = restarts.get(key, 0) + 1
        print(f"[prod] {server.name} exited with code {server.process.returncode}; restarting (restart #{restarts[key]})", flush=True)
        del stack.servers[key]
        kind, _, number = key.partition("-")
        starter = {"actions": stack.start_action, "rasa": stack.start_rasa}.get(kind)
        restarted = starter(int(number) - 1) if starter else stack.start_web()
        restarted.wait_ready(400)
        time.sleep(0.1)


def main(argv: list[str] | None = None) -> int:
    """`make prod`: start everything, print the URLs, keep the pool whole, stop everything on Ctrl-C."""
    import argparse
    import sys
    import time

    from shop.ops.stack import latest_model
    from shop.settings import get_settings

    parser = argparse.ArgumentParser(description="Production mode on this machine (PostgreSQL, Redis, nginx, replicas).")
    parser.add_argument("--model", type=Path, help="trained model (default: newest in models/)")
    parser.add_argument("--no-web", action="store_true", help="do not start the web app")
    args = parser.parse_args(argv)
    base = get_settings()
    settings = base if os.environ.get("SHOP_VAR_DIR") else base.model_copy(update={"var_dir": base.var_dir / "prod"})
    started = time.monotonic()
    try:
        stack = ProdStack(settings=settings, model=args.model or latest_model(), web=not args.no_web)
        stack.start()
    except (StackError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    url = stack.public_url
    print(f"\nProduction mode is ready ({time.monotonic() - started:.0f}s to start).")
    if stack.web:
        print(f"  Store + chat:     {url}/        Staff console: {url}/console")
    print(f"  REST channel:     {url}/webhooks/rest/webhook   (Rasa replicas on ports {', '.join(map(str, stack.rasa_ports))}, least_conn)")
    print(f"  Health:           {url}/healthz (nginx)  {url}/status?token=... (Rasa)  "
          f"http://127.0.0.1:{stack.action_ports[0]}/health (actions, ports {', '.join(map(str, stack.action_ports))})")
    print(f"  PostgreSQL:       127.0.0.1:{stack.pg.port} (databases shop, rasa; user shop; password in {settings.var_dir / 'secrets.env'})")
    print(f"  Redis lock store: 127.0.0.1:{stack.redis.port}")
    print(f"  Logs (JSON):      {stack.logs}")
    print("Press Ctrl-C to stop everything.", flush=True)
    restarts: dict[str, int] = {}
    try:
        while True:
            time.sleep(1)
            supervise(stack, restarts)
    except KeyboardInterrupt:
        print("\n[prod] stopping ...", flush=True)
        return 0
    except Exception as error:  # a restart failed: report it, then stop everything cleanly
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        stack.stop()
        print("[prod] stopped", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
