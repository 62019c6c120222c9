"""A Redis server of our own (Debian's ``redis-server``) for Rasa's lock store in production mode.

Why our own: it binds loopback on a port we choose, requires the generated password, and the fault
tests must be able to kill and restart it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from shop.settings import REPO_ROOT

TEMPLATE = REPO_ROOT / "deploy" / "redis.conf.template"


class RedisError(RuntimeError):
    """redis-server is missing or did not come up; the message says what to do."""


def render(template: Path, values: dict[str, object]) -> str:
    """Fill ``{{name}}`` placeholders; a placeholder without a value is an error, not a silent blank."""
    text = template.read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", str(value))
    if "{{" in text:
        missing = text.split("{{", 1)[1].split("}}", 1)[0]
        raise ValueError(f"{template.name}: no value for placeholder {{{{{missing}}}}}")
    return text


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (it may hold a password)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    path.chmod(0o600)


@dataclass
class RedisServer:
    """redis-server with its config and log in ``root``, on 127.0.0.1:``port``."""

    root: Path
    port: int
    password: str
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def log_path(self) -> Path:
        return self.root / "redis.log"

    def start(self, timeout: float = 20.0) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RedisError("redis-server is not installed: run `scripts/setup.sh prod` (apt-get install redis-server).")
        config = self.root / "redis.conf"
        write_private(config, render(TEMPLATE, {"port": self.port, "password": self.password, "dir": self.root}))
        log = self.log_path.open("ab")
        self.process = subprocess.Popen([binary, str(config)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RedisError(f"redis-server exited with code {self.process.returncode}; see {self.log_path}")
            if self.ping():
                return
            time.sleep(0.2)
        raise RedisError(f"redis-server did not answer PING on port {self.port} after {timeout:.0f}s; see {self.log_path}")

    def ping(self) -> bool:
        """True when the server answers PING with our password (a raw RESP exchange, no client library)."""
        import socket

        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1.0) as conn:
                auth = f"*2\r\n$4\r\nAUTH\r\n${len(self.password)}\r\n{self.password}\r\n*1\r\n$4\r\nPING\r\n"
                conn.sendall(auth.encode())
                reply = b""
                while reply.count(b"\r\n") < 2:
                    chunk = conn.recv(256)
                    if not chunk:
                        break
                    reply += chunk
                return reply == b"+OK\r\n+PONG\r\n"
        except OSError:
            return False

    def url(self, db: int) -> str:
        """redis:// URL of one database, with the password (for clients of the ML environment)."""
        return f"redis://:{quote(self.password, safe='')}@127.0.0.1:{self.port}/{db}"

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def kill(self) -> None:
        """Crash it (SIGKILL), as a fault test does."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=5)

    def restart(self) -> None:
        self.stop()
        self.start()
