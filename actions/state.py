"""The conversation's search state, kept in the ``search_state`` slot.

One slot holds everything the actions need across turns: the constraints, which list of products
is on the customer's screen (a search page, products similar to one, or another product's other
colours), the ids on it in screen order and the number of its first card. References ("the second
one") resolve against exactly that list; reactions live in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from actions.constraints import Constraints
from retrieval.personalise import CustomerContext

SLOT = "search_state"
ViewKind = Literal["search", "similar", "colours"]
VIEWS: tuple[ViewKind, ...] = ("search", "similar", "colours")


@dataclass
class SearchState:
    """What has been searched and what is on the customer's screen in this conversation."""

    constraints: Constraints = field(default_factory=Constraints)
    page: int = 0
    shown: list[str] = field(default_factory=list)
    first_position: int = 1
    searched: bool = False
    view: ViewKind = "search"
    anchor: str | None = None
    """The product a "similar" or "colours" view is about."""

    @classmethod
    def from_tracker(cls, tracker: Tracker) -> SearchState:
        return cls.from_dict(tracker.get_slot(SLOT))

    @classmethod
    def from_dict(cls, raw: Any) -> SearchState:
        """Read the slot; anything malformed (an old or forged value) reads as a fresh state."""
        if not isinstance(raw, dict):
            return cls()
        view: ViewKind = next((v for v in VIEWS if v == raw.get("view")), "search")
        anchor = raw.get("anchor")
        return cls(
            constraints=Constraints.from_dict(raw.get("constraints")),
            page=_count(raw.get("page"), 0),
            shown=[str(x) for x in raw.get("shown") or [] if isinstance(x, (str, int))] if isinstance(raw.get("shown"), list) else [],
            first_position=_count(raw.get("first_position"), 1) or 1,
            searched=bool(raw.get("searched")),
            view=view,
            anchor=str(anchor) if isinstance(anchor, (str, int)) else None,
        )

    def to_dict(self) -> dict[str, Any]:
        return {"constraints": self.constraints.to_dict(), "page": self.page, "shown": list(self.shown),
                "first_position": self.first_position, "searched": self.searched, "view": self.view, "anchor": self.anchor}

    def to_event(self) -> EventType:
        return SlotSet(SLOT, self.to_dict())

    def show(self, ids: list[str], *, view: ViewKind, first_position: int = 1, anchor: str | None = None) -> None:
        """Record a new list of products on screen."""
        self.shown, self.view, self.first_position, self.anchor = list(ids), view, first_position, anchor


def _count(value: Any, default: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return max(number, 0)


def latest_entities(tracker: Tracker) -> list[dict[str, Any]]:
    """Entities of the latest message, without duplicates of the same span from several extractors."""
    seen: set[tuple[Any, ...]] = set()
    unique: list[dict[str, Any]] = []
    raw = (tracker.latest_message or {}).get("entities")
    for entity in raw if isinstance(raw, list) else []:
        if not isinstance(entity, dict):
            continue
        key = (entity.get("entity"), entity.get("start"), entity.get("end"), entity.get("role"), str(entity.get("value")))
        if key not in seen:
            seen.add(key)
            unique.append(entity)
    return unique


def latest_text(tracker: Tracker) -> str:
    return str((tracker.latest_message or {}).get("text") or "")


def latest_intent(tracker: Tracker) -> str | None:
    intent = (tracker.latest_message or {}).get("intent")
    return str(intent.get("name")) if isinstance(intent, dict) and intent.get("name") else None


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
