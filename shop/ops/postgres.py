"""A PostgreSQL cluster of our own (Debian's binaries), for production mode and the fault tests.

Why not the system service: the cluster lives in the project's var folder, listens on loopback on a
port we choose, and is started/stopped/restarted by the same code that supervises the other
servers. We run as root; PostgreSQL refuses that, so every server command runs as the ``postgres``
user. Local (Unix-socket) connections use ``trust`` inside a 0700 folder only ``postgres`` can
enter; TCP connections need the generated password (scram-sha-256).
"""

from __future__ import annotations

import glob
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from shop.ops.ports import alive, command_of

AS_POSTGRES = ["runuser", "-u", "postgres", "--"]


class PostgresError(RuntimeError):
    """The cluster could not be created or started; the message quotes PostgreSQL's own output."""


def postgres_bindir() -> Path:
    """Folder of the newest installed PostgreSQL server binaries."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise PostgresError("PostgreSQL is not installed: run `scripts/setup.sh prod` (apt-get install postgresql).")
    return Path(found[-1]).parent


@dataclass
class PostgresCluster:
    """One cluster in ``root`` (data/, socket/, log) serving ``databases`` to ``user`` on 127.0.0.1:``port``."""

    root: Path
    port: int
    password: str
    user: str = "shop"
    databases: tuple[str, ...] = ("shop", "rasa")
    durable: bool = True  # False (tests) skips fsync: faster, and a crash may lose the last writes

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "socket"

    @property
    def log_path(self) -> Path:
        return self.root / "postgresql.log"

    def url(self, database: str, driver: str = "postgresql+psycopg") -> str:
        """SQLAlchemy URL of one database over TCP with the password."""
        return f"{driver}://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([*AS_POSTGRES, *args], capture_output=True, text=True)
        if check and result.returncode != 0:
            raise PostgresError(f"`{' '.join(args[:2])}` failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}"
                                f"\nlog: {self.log_path}")
        return result

    def initialise(self) -> bool:
        """Create the cluster the first time (returns True then); later calls only check it."""
        if (self.data_dir / "PG_VERSION").exists():
            return False
        self.root.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        for path in (self.root, self.socket_dir):
            shutil.chown(path, user="postgres", group="postgres")
            path.chmod(0o700)
        if self._run("test", "-w", str(self.root), check=False).returncode != 0:
            raise PostgresError(f"the postgres user cannot reach {self.root}: every folder above it must be searchable (chmod o+x)")
        bindir = postgres_bindir()
        self._run(str(bindir / "initdb"), "-D", str(self.data_dir), "-U", "postgres", "-E", "UTF8",
                  "--auth-local=trust", "--auth-host=scram-sha-256", *([] if self.durable else ["--no-sync"]))
        return True

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "postmaster.pid"

    def server_pid(self) -> int | None:
        """The pid in ``postmaster.pid``, if the file is there and readable."""
        try:
            return int(self.pid_file.read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None

    def check_not_running(self) -> str | None:
        """Before a start: refuse when a server of an earlier run still uses this cluster (saying how to
        stop it); remove a pid file whose process is gone or is no PostgreSQL server. Returns what was done."""
        pid = self.server_pid()
        if pid is None:
            return None
        command = command_of(pid) if alive(pid) else ""
        if command and ("postgres" in command or "postmaster" in command):
            raise PostgresError(
                f"PostgreSQL of an earlier run still serves {self.data_dir} (pid {pid}: {command[:120]}). Stop it with\n"
                f"  runuser -u postgres -- {postgres_bindir() / 'pg_ctl'} -D {self.data_dir} -m fast stop\n"
                f"(and any other leftover of that run the next lines name), then start again.")
        try:
            self.pid_file.unlink(missing_ok=True)
        except PermissionError:  # not root: the postgres user owns the data folder
            self._run("rm", "-f", str(self.pid_file), check=False)
        what = f"is now {command[:80]!r}" if command else "is gone"
        return f"removed a stale {self.pid_file} (its process {pid} {what})"

    def start(self, timeout: float = 60.0) -> None:
        """Start the server (waits until it accepts connections) and make the role and databases exist."""
        options = f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c max_connections=200"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run(str(postgres_bindir() / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log_path), "-w",
                  "-t", str(int(timeout)), "-o", options, "start")
        self._bootstrap()

    def stop(self, mode: str = "fast", timeout: float = 60.0) -> None:
        """Stop the server if it runs (``fast`` rolls back open transactions; ``immediate`` is a crash);
        a ``fast`` stop that takes longer than ``timeout`` becomes ``immediate``."""
        if not self.pid_file.exists():
            return
        pg_ctl = str(postgres_bindir() / "pg_ctl")
        result = self._run(pg_ctl, "-D", str(self.data_dir), "-m", mode, "-w", "-t", str(max(1, int(timeout))), "stop", check=False)
        if result.returncode != 0 and mode != "immediate" and self.running():
            self._run(pg_ctl, "-D", str(self.data_dir), "-m", "immediate", "-w", "stop", check=False)

    def restart(self, mode: str = "fast") -> None:
        """Stop and start again: every client connection is cut, as in a failover or an upgrade."""
        self.stop(mode)
        self.start()

    def running(self) -> bool:
        return self._run(str(postgres_bindir() / "pg_ctl"), "-D", str(self.data_dir), "status", check=False).returncode == 0

    def admin_sql(self, statement: str) -> str:
        """Run one statement as the ``postgres`` superuser over the Unix socket; returns psql's output."""
        psql = str(postgres_bindir() / "psql")
        result = self._run(psql, "-h", str(self.socket_dir), "-p", str(self.port), "-U", "postgres", "-d", "postgres",
                           "-tAq", "-v", "ON_ERROR_STOP=1", "-c", statement)
        return result.stdout.strip()

    def _bootstrap(self) -> None:
        """Role with the current password (rotated by editing secrets.env) and one database per use."""
        quoted = self.password.replace("'", "''")
        exists = self.admin_sql(f"SELECT 1 FROM pg_roles WHERE rolname = '{self.user}'")
        verb = "ALTER" if exists == "1" else "CREATE"
        self.admin_sql(f"{verb} ROLE {self.user} LOGIN PASSWORD '{quoted}'")
        for database in self.databases:
            if self.admin_sql(f"SELECT 1 FROM pg_database WHERE datname = '{database}'") != "1":
                self.admin_sql(f"CREATE DATABASE {database} OWNER {self.user} ENCODING 'UTF8'")

