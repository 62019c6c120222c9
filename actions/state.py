"""The conversation's search state, kept in the ``search_state`` slot.

One slot holds everything the actions need across turns (constraints, page, products on screen,
products the customer rejected), so every action reads and writes it the same way.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from actions.constraints import Constraints

SLOT = "search_state"


@dataclass
class SearchState:
    """What has been searched and shown in this conversation."""

    constraints: Constraints = field(default_factory=Constraints)
    page: int = 0
    shown: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
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
            rejected=[str(x) for x in raw.get("rejected") or []],
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
