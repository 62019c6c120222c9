"""After-the-run checks of the load benchmark: what the tracker store holds, where the time went."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx


def stored_user_turns_sql(url: str, senders: list[str]) -> dict[str, list[str]]:
    """sender -> texts of its ``user`` events, read straight from Rasa's SQL tracker store (PostgreSQL)."""
    import psycopg

    found: dict[str, list[str]] = {}
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        rows = conn.execute(
            "SELECT sender_id, data FROM events WHERE type_name = 'user' AND sender_id = ANY(%s) ORDER BY id", (senders,)
        )
        for sender, data in rows:
            found.setdefault(sender, []).append(json.loads(data).get("text") or "")
    return found


async def stored_user_turns_api(url: str, token: str, senders: list[str], parallel: int = 8) -> dict[str, list[str]]:
    """The same, through Rasa's HTTP API (``/conversations/{id}/tracker``), for stacks without SQL access."""
    found: dict[str, list[str]] = {}
    gate = asyncio.Semaphore(parallel)
    async with httpx.AsyncClient(base_url=url, timeout=60.0) as client:

        async def one(sender: str) -> None:
            async with gate:
                response = await client.get(f"/conversations/{sender}/tracker", params={"token": token, "include_events": "ALL"})
                response.raise_for_status()
                found[sender] = [e.get("text") or "" for e in response.json().get("events", []) if e.get("event") == "user"]

        await asyncio.gather(*(one(sender) for sender in senders))
    return found


def _seconds(value: str) -> float:
    """nginx's $upstream_response_time: '0.120', '0.002, 0.118' after a retry, '-' when none."""
    return sum(float(part) for part in value.replace(":", ",").split(",") if part.strip() not in ("", "-"))


def _pct(values: list[float], q: float) -> float:
    data = sorted(values)
    return round(data[min(len(data) - 1, round(q / 100 * (len(data) - 1)))] * 1000, 1) if data else float("nan")


def action_time_breakdown(access_log: Path, since: float) -> dict[str, Any]:
    """Split turn time between Rasa (NLU + policies + tracker I/O) and the action servers, from nginx's log."""
    turns: list[float] = []
    actions: list[float] = []
    if not access_log.exists():
        return {}
    with access_log.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                entry = json.loads(line)
                when = datetime.fromisoformat(entry["time"]).timestamp()
            except (ValueError, KeyError):
                continue
            if when < since:
                continue
            if entry.get("uri") == "/webhooks/rest/webhook":
                turns.append(_seconds(entry.get("upstream_time", "")))
            elif entry.get("uri") == "/webhook":
                actions.append(_seconds(entry.get("upstream_time", "")))
    if not turns:
        return {}
    per_turn_action = sum(actions) / len(turns)
    per_turn_total = sum(turns) / len(turns)
    return {"breakdown": {
        "turns_logged": len(turns), "action_calls": len(actions), "action_calls_per_turn": round(len(actions) / len(turns), 2),
        "rasa_turn_p50_ms": _pct(turns, 50), "rasa_turn_p95_ms": _pct(turns, 95),
        "action_call_p50_ms": _pct(actions, 50), "action_call_p95_ms": _pct(actions, 95),
        "mean_turn_ms": round(per_turn_total * 1000, 1), "mean_action_ms_per_turn": round(per_turn_action * 1000, 1),
        "mean_rasa_own_ms_per_turn": round((per_turn_total - per_turn_action) * 1000, 1),
    }}


def doubled_turns_sql(url: str, senders: list[str]) -> int:
    """Turns stored twice in Rasa's tracker store: a customer message id on more than one user event,
    or an event stored twice (same sender, type, timestamp and content). Parsed here, not with
    PostgreSQL's JSON operators, which refuse NUL characters in message texts."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        rows = conn.execute("SELECT sender_id, type_name, data FROM events WHERE sender_id = ANY(%s)", (senders,)).fetchall()
    ids = Counter((sender, json.loads(data).get("message_id")) for sender, kind, data in rows if kind == "user")
    same = Counter(rows)
    return sum(n - 1 for (_, key), n in ids.items() if key) + sum(n - 1 for n in same.values())


def doubled_side_effects_sql(url: str, customers: list[str]) -> int:
    """Feedback and cart rows stored twice for one turn or one customer message, and handoffs queued twice for one message."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        by_turn = conn.execute(
            "SELECT count(*) - count(DISTINCT (conversation_id, turn, kind, product_id)) FROM feedback_events "
            "WHERE customer_id = ANY(%s)", (customers,)).fetchone()[0]
        by_message = conn.execute(
            "SELECT count(message_id) - count(DISTINCT (conversation_id, message_id, kind, product_id)) FROM feedback_events "
            "WHERE customer_id = ANY(%s) AND message_id IS NOT NULL", (customers,)).fetchone()[0]
        handoffs = conn.execute(
            "SELECT count(message_id) - count(DISTINCT (conversation_id, message_id)) FROM handoffs WHERE conversation_id = ANY(%s)",
            (customers,)).fetchone()[0]
    return int(by_turn) + int(by_message) + int(handoffs)
