"""Lay out where a turn's time goes, from the JSON lines that ``SHOP_TURN_PROFILE`` makes both servers write.

Rasa writes one "rasa turn" record per customer message, the action server one "action call"
record per action it runs. Stages are exclusive milliseconds (see ``shop/turn_profile.py``), so a
turn's Rasa stages add up to its total; the action server's work sits inside Rasa's "action call:
HTTP round trip", and the difference between the two is the hop itself (connection, JSON over
loopback, Sanic on both sides).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

HTTP_STAGE = "action call: HTTP round trip"


def read_records(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _per_turn(records: list[dict[str, Any]], turns: int) -> dict[str, float]:
    totals: dict[str, float] = {}
    for record in records:
        for stage, ms in record["stages"].items():
            totals[stage] = totals.get(stage, 0.0) + ms
    return {stage: round(total / turns, 2) for stage, total in sorted(totals.items(), key=lambda item: -item[1])}


def stage_table(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean milliseconds per turn of every stage, the turn's p50, and the hop to the action server."""
    turns = [r for r in records if r["kind"] == "rasa turn" and r.get("status") == 200]
    calls = [r for r in records if r["kind"] == "action call"]
    if not turns:
        return {"turns": 0}
    rasa = _per_turn(turns, len(turns))
    actions = _per_turn(calls, len(turns))
    action_server_ms = sum(r["total_ms"] for r in calls) / len(turns)
    http_ms = rasa.get(HTTP_STAGE, 0.0)
    totals = [r["total_ms"] for r in turns]
    return {
        "turns": len(turns),
        "action_calls_per_turn": round(len(calls) / len(turns), 2),
        "turn_mean_ms": round(float(np.mean(totals)), 2),
        "turn_p50_ms": round(float(np.percentile(totals, 50)), 2),
        "rasa_ms_per_turn": rasa,
        "action_server_ms_per_turn": actions,
        "action_hop_ms_per_turn": round(http_ms - action_server_ms, 2),
        "action_server_total_ms_per_turn": round(action_server_ms, 2),
    }


def format_table(table: dict[str, Any]) -> str:
    """The stage table as text, largest first (what the benchmark prints)."""
    if not table.get("turns"):
        return "(no profiled turns)"
    lines = [f"{table['turns']} turns, mean {table['turn_mean_ms']} ms (p50 {table['turn_p50_ms']} ms), "
             f"{table['action_calls_per_turn']} action calls per turn"]
    lines += [f"  rasa    {ms:8.2f} ms  {stage}" for stage, ms in table["rasa_ms_per_turn"].items()]
    lines.append(f"          of '{HTTP_STAGE}': {table['action_hop_ms_per_turn']:.2f} ms the hop, "
                 f"{table['action_server_total_ms_per_turn']:.2f} ms in the action server:")
    lines += [f"  actions {ms:8.2f} ms  {stage}" for stage, ms in table["action_server_ms_per_turn"].items()]
    return "\n".join(lines)
