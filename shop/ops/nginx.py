"""nginx as the load balancer of production mode: render the config, start, reload, stop.

Why nginx in front: one public port for customers whichever replica answers, retries on the other
replica when one is gone, and an action-server fallback so Rasa always has something to say.
"""

from __future__ import annotations

import json
import shutil
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
    web_port: int | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def config_path(self) -> Path:
        return self.root / "nginx.conf"

    def render(self) -> str:
        web_upstream = web_locations = ""
        if self.web_port:
            web_upstream = f"\n    upstream web {{\n        server 127.0.0.1:{self.web_port};\n        keepalive 16;\n        keepalive_timeout 4s;\n    }}\n"
            web_locations = (
                "\n        # The web app: demo store, chat widget API (/api/chat), staff console.\n"
                "        location / {\n            proxy_pass http://web;\n            proxy_http_version 1.1;\n"
                '            proxy_set_header Connection "";\n            proxy_set_header Host $host;\n'
                "            proxy_set_header X-Forwarded-For $remote_addr;\n            proxy_buffering off;\n"
                "            proxy_read_timeout 300s;\n        }\n"
            )
        return render(TEMPLATE, {
            "prefix": self.root, "logs": self.logs, "public_port": self.public_port, "actions_port": self.actions_port,
            "rasa_servers": _servers(self.rasa_ports), "action_servers": _servers(self.action_ports),
            "web_upstream": web_upstream, "web_locations": web_locations, "actions_down_reply": _quoted(actions_down_reply()),
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
                raise NginxError(f"nginx exited with code {self.process.returncode}; see {self.logs / 'nginx-error.log'}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.public_port}/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise NginxError(f"nginx did not answer /healthz on port {self.public_port} after {timeout:.0f}s")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # SIGTERM: fast shutdown of master and workers
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
