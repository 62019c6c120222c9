"""The conversation's search state, kept in the ``search_state`` slot.

One slot holds everything the actions need across turns (constraints, page, products on screen,
whether a search ran), so every action reads and writes it the same way. Reactions live in SQL.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from actions.constraints import Constraints
from retrieval.personalise import CustomerContext

SLOT = "search_state"


@dataclass
class SearchState:
    """What has been searched and shown in this conversation."""

    constraints: Constraints = field(default_factory=Constraints)
    page: int = 0
    shown: list[str] = field(default_factory=list)
    searched: bool = False

    @classmethod
    def from_tracker(cls, tracker: Tracker) -> SearchState:
        raw: dict[str, Any] = tracker.get_slot(SLOT) or {}
        if not isinstance(raw, dict):
            return cls()
        return cls(
            constraints=Constraints.from_dict(raw.get("constraints")),
            page=int(raw.get("page") or 0),
            shown=[str(x) for x in raw.get("shown") or []],
            searched=bool(raw.get("searched")),
        )

    def to_event(self) -> EventType:
        data = asdict(self)
        data["constraints"] = self.constraints.to_dict()
        return SlotSet(SLOT, data)


def latest_entities(tracker: Tracker) -> list[dict[str, Any]]:
    """Entities of the latest message, without duplicates of the same span from several extractors."""
    seen: set[tuple[Any, ...]] = set()
    unique: list[dict[str, Any]] = []
    for entity in tracker.latest_message.get("entities") or []:
        key = (entity.get("entity"), entity.get("start"), entity.get("end"), entity.get("role"), str(entity.get("value")))
        if key not in seen:
            seen.add(key)
            unique.append(entity)
    return unique


def latest_text(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "")


def customer_context(tracker: Tracker) -> CustomerContext:
    """Who is talking: the sender is the customer; each Rasa session is one conversation."""
    session_start = 0.0
    turn = 0
    for event in tracker.events:
        if event.get("event") == "session_started":
            session_start, turn = float(event.get("timestamp") or 0.0), 0
        elif event.get("event") == "user":
            turn += 1
    return CustomerContext(customer_id=tracker.sender_id, conversation_id=f"{tracker.sender_id}:{session_start:.0f}", turn=turn)
