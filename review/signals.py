"""Which customer messages of a conversation go to the review queue, and why (pure functions).

Why from the tracker store's events and not from the action server: every turn is there, also the
ones answered by a rule's response without any custom action, and an event is kept even when the
two-stage fallback later reverts it from the conversation. One pass over a conversation's events
(oldest first) gives each customer message the reasons below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FALLBACK = "fallback"
LOW_CONFIDENCE = "low_confidence"
DID_YOU_MEAN = "did_you_mean"
HANDOFF = "handoff"
THUMBS_DOWN_STREAK = "thumbs_down_streak"
NOT_WHAT_I_ASKED = "not_what_i_asked"
ABANDONED_NO_RESULT = "abandoned_no_result"

# Code -> what the console shows reviewers.
REASONS = {
    FALLBACK: "the model was unsure (fallback)",
    LOW_CONFIDENCE: "low intent confidence",
    DID_YOU_MEAN: "the assistant asked \"did you mean\"",
    HANDOFF: "the customer asked for a person next",
    THUMBS_DOWN_STREAK: "several thumbs-down on its results",
    NOT_WHAT_I_ASKED: "the customer said that's not what they asked",
    ABANDONED_NO_RESULT: "nothing found, then the customer left",
}

FALLBACK_INTENT = "nlu_fallback"
# Rasa's two-stage fallback asks "did you mean ...?" inside its own action: only its name is logged.
ASK_AFFIRMATION = frozenset({"action_default_ask_affirmation", "action_two_stage_fallback"})
HANDOFF_INTENT = "request_human"
NEGATIVE_INTENT = "feedback_negative"
DENY_INTENT = "deny"
# Customer turns that ask for products: answered without product cards, they found nothing.
SEARCH_INTENTS = frozenset({"search_product", "add_constraint", "remove_constraint", "change_price", "more_like_this", "show_more"})
THUMBS_DOWN_MIN = 2


@dataclass
class Candidate:
    """A customer message and what the model made of it; ``reasons`` empty means nothing went wrong."""

    event_id: int
    text: str
    intent: str
    confidence: float
    entities: list[dict[str, Any]]
    timestamp: float
    reasons: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    searched: bool = False
    thumbs_down: int = 0

    def flag(self, reason: str) -> None:
        if reason not in self.reasons:
            self.reasons.append(reason)


@dataclass
class ScanResult:
    """Flagged messages of one conversation; ``no_result_since`` when its last answer found nothing."""

    flagged: list[Candidate]
    no_result_since: float | None


def _typed(event: dict[str, Any]) -> bool:
    """A message the customer typed: button payloads ("/feedback_negative{...}") are clicks, not words."""
    text = str(event.get("text") or "")
    return bool(text.strip()) and not text.startswith("/")


def candidate_of(event_id: int, event: dict[str, Any]) -> Candidate:
    """What the model made of a user event; for nlu_fallback, its best real intent."""
    parse = event.get("parse_data") or {}
    intent = parse.get("intent") or {}
    name, confidence = str(intent.get("name") or ""), float(intent.get("confidence") or 0.0)
    if name == FALLBACK_INTENT:
        ranking = [r for r in parse.get("intent_ranking") or [] if r.get("name") not in (FALLBACK_INTENT, None)]
        if ranking:
            name, confidence = str(ranking[0]["name"]), float(ranking[0].get("confidence") or 0.0)
    entities = [
        {"start": int(e["start"]), "end": int(e["end"]), "entity": str(e["entity"]), "role": e.get("role")}
        for e in parse.get("entities") or []
        if isinstance(e.get("start"), int) and isinstance(e.get("end"), int) and e.get("entity")
    ]
    return Candidate(event_id=event_id, text=str(event.get("text") or ""), intent=name, confidence=confidence,
                     entities=entities, timestamp=float(event.get("timestamp") or 0.0))


def _product_ids(event: dict[str, Any]) -> list[str] | None:
    """Product ids of a bot message with product cards, None for any other bot message."""
    custom = (event.get("data") or {}).get("custom")
    if isinstance(custom, dict) and custom.get("type") == "product_cards":
        return [str(card.get("id")) for card in custom.get("products") or [] if isinstance(card, dict) and card.get("id") is not None]
    return None


def scan_events(events: list[tuple[int, dict[str, Any]]], *, low_confidence: float) -> ScanResult:
    """Reasons for every typed customer message of one conversation, from its events oldest first."""
    typed: list[Candidate] = []
    last_typed: Candidate | None = None
    last_search: Candidate | None = None
    current: Candidate | None = None  # the customer message this part of the conversation answers
    for event_id, event in events:
        kind = event.get("event")
        if kind == "user":
            intent = str(((event.get("parse_data") or {}).get("intent") or {}).get("name") or "")
            if intent == HANDOFF_INTENT and last_typed is not None and last_typed.intent != HANDOFF_INTENT:
                last_typed.flag(HANDOFF)  # typed or clicked: the customer gave up on the bot after that message
            if not _typed(event):
                if intent == NEGATIVE_INTENT and last_search is not None:
                    last_search.thumbs_down += 1
                    if last_search.thumbs_down >= THUMBS_DOWN_MIN:
                        last_search.flag(THUMBS_DOWN_STREAK)
                current = None
                continue
            candidate = candidate_of(event_id, event)
            if intent == FALLBACK_INTENT:
                candidate.flag(FALLBACK)
            elif candidate.confidence < low_confidence:
                candidate.flag(LOW_CONFIDENCE)
            if intent in (DENY_INTENT, NEGATIVE_INTENT) and not candidate.entities and last_typed is not None \
                    and last_typed.searched and last_typed is last_search:
                last_typed.flag(NOT_WHAT_I_ASKED)
            candidate.searched = intent in SEARCH_INTENTS
            typed.append(candidate)
            last_typed = current = candidate
            if candidate.searched:
                last_search = candidate
        elif kind == "action" and event.get("name") in ASK_AFFIRMATION and current is not None:
            current.flag(DID_YOU_MEAN)
        elif kind == "bot" and current is not None:
            shown = _product_ids(event)
            if shown is not None:
                current.products = shown
    no_result_since = None
    if last_typed is not None and last_typed.searched and not last_typed.products:
        no_result_since = last_typed.timestamp
    return ScanResult(flagged=[c for c in typed if c.reasons], no_result_since=no_result_since)


def abandoned(result: ScanResult, events: list[tuple[int, dict[str, Any]]], *, now: float, after_seconds: float) -> Candidate | None:
    """The conversation's last customer message when nothing was found and the customer left since."""
    if result.no_result_since is None or now - result.no_result_since < after_seconds:
        return None
    for event_id, event in reversed(events):
        if event.get("event") == "user" and _typed(event):
            candidate = candidate_of(event_id, event)
            candidate.flag(ABANDONED_NO_RESULT)
            return candidate
    return None
