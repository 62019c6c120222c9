"""Which process holds a port, read from /proc (Linux), so a failed start can say whom to stop.

Why not ``ss -p`` or psutil: /proc has it all, and reading it needs no extra package or binary.
As root (production mode runs as root) every process is visible; otherwise only one's own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

LISTEN, ESTABLISHED = "0A", "01"  # socket states in /proc/net/tcp


@dataclass(frozen=True)
class Holder:
    """A process and its command line."""

    pid: int
    command: str

    def describe(self) -> str:
        return f"pid {self.pid} ({self.command[:160]})"


def _sockets() -> Iterator[list[str]]:
    """The fields of every row of the kernel's TCP tables (IPv4 and IPv6); unreadable tables are skipped."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        yield from (line.split() for line in lines)


def _inodes(port: int, state: str, remote: bool = False) -> set[str]:
    """Socket inodes in ``state`` whose local (or remote) port is ``port``."""
    found: set[str] = set()
    for fields in _sockets():
        if len(fields) < 10 or fields[3] != state:
            continue
        address = fields[2] if remote else fields[1]
        if int(address.rsplit(":", 1)[1], 16) == port:
            found.add(fields[9])
    return found


def command_of(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "?"
    return raw.replace(b"\0", b" ").decode(errors="replace").strip() or "?"


def _owners(inodes: set[str]) -> list[Holder]:
    if not inodes:
        return []
    wanted = {f"socket:[{inode}]" for inode in inodes}
    holders: list[Holder] = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fds = os.listdir(f"/proc/{entry.name}/fd")
        except OSError:  # gone, or not ours to read
            continue
        links = set()
        for fd in fds:
            try:
                links.add(os.readlink(f"/proc/{entry.name}/fd/{fd}"))
            except OSError:  # closed meanwhile
                continue
        if links & wanted:
            holders.append(Holder(int(entry.name), command_of(int(entry.name))))
    return sorted(holders, key=lambda h: h.pid)


def listen_addresses(port: int) -> set[str]:
    """The local addresses something listens on at ``port`` ("127.0.0.1", "0.0.0.0", "::", ...)."""
    import ipaddress

    found: set[str] = set()
    for fields in _sockets():
        if len(fields) < 4 or fields[3] != LISTEN:
            continue
        address, _, hex_port = fields[1].rpartition(":")
        if int(hex_port, 16) != port:
            continue
        raw = bytes.fromhex(address)
        # /proc prints each 32-bit word in host (little-endian) order.
        ordered = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
        found.add(str(ipaddress.ip_address(ordered)))
    return found


def listeners(port: int) -> list[Holder]:
    """The processes listening on ``port`` (several share one socket after a fork, e.g. nginx's workers)."""
    return _owners(_inodes(port, LISTEN))


def clients_of(port: int) -> list[Holder]:
    """The processes with an open connection to ``port`` (e.g. which Rasa replica is calling the action server)."""
    return _owners(_inodes(port, ESTABLISHED, remote=True))


def held_message(port: int, what: str) -> str:
    """A sentence for a port that is taken: who holds it and how to stop them."""
    holders = listeners(port)
    if not holders:
        return f"port {port} ({what}) is already in use by a process this user cannot see; find it with `ss -ltnp 'sport = :{port}'`"
    pids = " ".join(str(h.pid) for h in holders)
    return (f"port {port} ({what}) is held by {'; '.join(h.describe() for h in holders)}. "
            f"If that is a leftover of an earlier run, stop it with `kill {pids}` (or `kill -9 {pids}` if it ignores that)")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
