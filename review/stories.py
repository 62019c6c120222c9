"""A conversation from the tracker store as a ``rasa test`` story, with reviewers' corrections applied.

Why replay Rasa's own undo rules: the events table keeps everything, also what the two-stage
fallback took back ("rewind") and what a later session started over. The story must show the
conversation as the policies saw it: the last session's applied events. It stops where the bot was
paused for a person (what staff said is not the bot's to predict).
"""

from __future__ import annotations

from typing import Any

SKIPPED_ACTIONS = frozenset({"action_listen", "action_session_start", "action_unlikely_intent"})


def applied_events(events: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, dict[str, Any]]]:
    """The events that still count, as Rasa's ``DialogueStateTracker.applied_events`` keeps them."""
    applied: list[tuple[int, dict[str, Any]]] = []

    def undo_till(kind: str) -> None:
        while applied:
            _, popped = applied.pop()
            if popped.get("event") == kind:
                return

    for event_id, event in events:
        kind = event.get("event")
        if kind in ("restart", "session_started"):
            applied = []
        elif kind == "undo":
            undo_till("action")
        elif kind == "rewind":
            undo_till("user")
            undo_till("action")
        else:
            applied.append((event_id, event))
    return applied


def _user_step(event: dict[str, Any], correction: dict[str, Any] | None) -> dict[str, Any]:
    """A typed message keeps its words (with the corrected intent and spans); a button click is its intent."""
    text = str(event.get("text") or "")
    parse = event.get("parse_data") or {}
    intent = str((parse.get("intent") or {}).get("name") or "")
    entities = [
        {"start": e["start"], "end": e["end"], "entity": e["entity"], "role": e.get("role"), "value": e.get("value")}
        for e in parse.get("entities") or [] if isinstance(e.get("start"), int) and isinstance(e.get("end"), int)
    ]
    if correction is not None:
        intent, entities = correction["intent"], [dict(e) for e in correction["entities"]]
    if text.startswith("/"):
        values = [{str(e["entity"]): e.get("value", text[e["start"]:e["end"]])} for e in entities if e.get("entity")]
        return {"intent": intent, **({"entities": values} if values else {})}
    return {"user": text, "intent": intent, "entities": [{k: e.get(k) for k in ("start", "end", "entity", "role")} for e in entities]}


def story_steps(events: list[tuple[int, dict[str, Any]]], corrections: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """Steps of the story: user turns (``corrections`` by event id win) and the bot's actions."""
    steps: list[dict[str, Any]] = []
    for event_id, event in applied_events(events):
        kind = event.get("event")
        if kind == "pause":
            break
        if kind == "user":
            steps.append(_user_step(event, corrections.get(event_id)))
        elif kind == "action" and event.get("name") and event["name"] not in SKIPPED_ACTIONS:
            if steps:  # a story starts with the customer
                steps.append({"action": str(event["name"])})
        elif kind == "active_loop" and steps:
            steps.append({"active_loop": event.get("name")})
    while steps and "action" not in steps[-1] and "active_loop" not in steps[-1]:
        steps.pop()  # a last message the bot never answered is not a test of anything
    return steps
