"""nginx as the load balancer of production mode: render the config, start, reload, stop.

Why nginx in front: one public port, for the web app only, whichever replica answers; loopback
balancers for the Rasa replicas (the web app's way in, with retries where a retry is safe) and the
action workers (with a fallback, so Rasa always has something to say).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shop.messages import TROUBLE_MESSAGE
from shop.ops.redis_server import render
from shop.settings import REPO_ROOT

TEMPLATE = REPO_ROOT / "deploy" / "nginx.conf.template"


class NginxError(RuntimeError):
    """nginx is missing, its config is invalid or it did not come up."""


def _servers(ports: list[int]) -> str:
    """Upstream lines that never take a server out of rotation (``max_fails=0``).

    Every upstream is on this machine, so a dead one refuses the connection at once and nginx moves
    on to the next; marking it down saves nothing. It did cost a recovery gap: once every worker of a
    pool had failed, nginx answered "no live upstreams" for ``fail_timeout`` even after a restarted
    worker was ready, so customers heard the shop was unreachable for that long.
    """
    return "\n".join(f"        server 127.0.0.1:{port} max_fails=0;" for port in ports)


def _quoted(text: str) -> str:
    """A string safe inside single quotes in nginx's config language."""
    return text.replace("\\", "\\\\").replace("'", "\\'")


def actions_down_reply() -> str:
    """A valid rasa-sdk webhook reply that only tells the customer the shop cannot be reached."""
    return json.dumps({"events": [], "responses": [{"text": TROUBLE_MESSAGE}]}, ensure_ascii=False)


@dataclass
class Nginx:
    """One nginx master (+1 worker) whose prefix, config and pid live in ``root``."""

    root: Path
    logs: Path
    public_port: int
    actions_port: int
    rasa_ports: list[int]
    action_ports: list[int]
    web_ports: list[int] = field(default_factory=list)
    rasa_port: int | None = None  # the loopback balancer of the Rasa replicas; actions_port + 1 when unset
    public_host: str = "127.0.0.1"
    turn_timeout: float = 20.0  # seconds a replica may take for a turn before nginx asks the other one
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def config_path(self) -> Path:
        return self.root / "nginx.conf"

    @property
    def rasa_balancer_port(self) -> int:
        return self.rasa_port or self.actions_port + 1

    def render(self) -> str:
        # With no web app there is nothing public but /healthz: an upstream with a server nobody runs.
        web = _servers(self.web_ports) if self.web_ports else "        server 127.0.0.1:9 down;"
        return render(TEMPLATE, {
            "prefix": self.root, "logs": self.logs, "public_host": self.public_host, "public_port": self.public_port,
            "actions_port": self.actions_port, "rasa_port": self.rasa_balancer_port, "turn_timeout": f"{self.turn_timeout:g}",
            "web_servers": web, "rasa_servers": _servers(self.rasa_ports), "action_servers": _servers(self.action_ports),
            "actions_down_reply": _quoted(actions_down_reply()),
        })

    def start(self, timeout: float = 20.0) -> None:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(binary).exists():
            raise NginxError("nginx is not installed: run `scripts/setup.sh prod` (apt-get install nginx).")
        self.root.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(self.render(), encoding="utf-8")
        command = [binary, "-p", str(self.root), "-c", str(self.config_path), "-e", str(self.logs / "nginx-error.log")]
        check = subprocess.run([*command, "-t", "-q"], capture_output=True, text=True)
        if check.returncode != 0:
            raise NginxError(f"invalid nginx config {self.config_path}: {check.stderr.strip()}")
        log = (self.logs / "nginx.out").open("ab")
        self.process = subprocess.Popen([*command, "-g", "daemon off;"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log_lines = (self.logs / "nginx-error.log").read_text(errors="replace").splitlines()[-3:] if (self.logs / "nginx-error.log").exists() else []
                raise NginxError(f"nginx exited with code {self.process.returncode}; {self.logs / 'nginx-error.log'} ends with:\n"
                                 + "\n".join(log_lines))
            try:
                host = "127.0.0.1" if self.public_host in ("0.0.0.0", "127.0.0.1") else self.public_host
                if httpx.get(f"http://{host}:{self.public_port}/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise NginxError(f"nginx did not answer /healthz on port {self.public_port} after {timeout:.0f}s")

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # SIGTERM: fast shutdown of master and workers
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        with contextlib.suppress(ProcessLookupError, PermissionError):  # a worker the master left behind
            os.killpg(self.process.pid, signal.SIGKILL)
