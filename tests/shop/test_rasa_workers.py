"""The embedded default's Rasa workers: both serve, and one conversation still runs one turn at a time.

Two workers share the port and lock each conversation through a SQLite file
(``bot/sqlite_lock_store.py``). A customer's messages sent all at once (a double click, a client
that does not wait) must each get their own complete turn, never two turns interleaved in the
tracker.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import uuid
from typing import Any

import httpx
import pytest

from shop.messages import IDEMPOTENCY_HEADER, RECEIVES_LIVE
from shop.ops.stack import RASA_WORKER_READY
from shop.settings import Settings

pytestmark = pytest.mark.slow


def _worker_pids(parent: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(parent)], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def test_rasa_runs_the_configured_number_of_workers(assistant_stack: Any, catalog_settings: Settings) -> None:
    rasa = next(server for server in assistant_stack.servers if server.name == "Rasa server")
    assert catalog_settings.rasa_workers == 2  # this machine has two cores
    assert len(_worker_pids(rasa.process.pid)) == catalog_settings.rasa_workers
    assert rasa.log_path.read_text().count(RASA_WORKER_READY) >= catalog_settings.rasa_workers  # the stack waits for all


def test_messages_sent_at_once_get_one_whole_turn_each(assistant_stack: Any, catalog_settings: Settings) -> None:
    sender = f"at-once-{uuid.uuid4().hex[:10]}"
    texts = ["show me running shoes for men", "only black ones", "not nike", "cheaper", "hello", "thanks"]

    async def send_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=catalog_settings.resolved_rasa_url, timeout=60) as client:
            return await asyncio.gather(*(client.post(
                "/webhooks/rest/webhook", json={"sender": sender, "message": text, "metadata": {RECEIVES_LIVE: True}},
                headers={"Authorization": f"Bearer {catalog_settings.resolved_rasa_token}", IDEMPOTENCY_HEADER: f"m-{i}"},
            ) for i, text in enumerate(texts)))

    responses = asyncio.run(send_all())
    assert [r.status_code for r in responses] == [200] * len(texts)
    assert all(r.json() for r in responses), "every message is answered"
    with sqlite3.connect(catalog_settings.var_dir / "tracker.db") as db:
        rows = db.execute("SELECT type_name, action_name FROM events WHERE sender_id = ? ORDER BY id", (sender,)).fetchall()
    kinds = [("listen" if (kind == "action" and name == "action_listen") else kind) for kind, name in rows]
    users = [i for i, kind in enumerate(kinds) if kind == "user"]
    assert len(users) == len(texts)
    for before, after in zip(users, users[1:], strict=False):
        turn = kinds[before + 1:after]
        assert "listen" in turn and "action" in turn, f"turns interleaved: {kinds}"  # answered, then listened, then the next
