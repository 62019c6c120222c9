"""Store what reviewers say (keyword-only functions on a session; the caller commits).

Every correction is checked against the domain (``review.labels``) and the message's own words
before it is stored, so an export can never write training data that ``rasa train`` refuses.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from handoff.models import utcnow
from nlu.text import split_words
from review.labels import Labels
from review.models import Correction, RelevanceMark, ReviewItem, ReviewStory, ScannedConversation

GRADES = {0: "wrong", 1: "partly right", 2: "right"}


class CorrectionError(ValueError):
    """The correction cannot be stored as sent; the message says what to change."""


def checked_entities(text: str, entities: list[dict[str, Any]], labels: Labels) -> list[dict[str, Any]]:
    """Spans on word boundaries, inside the text, not overlapping, with known entities and roles."""
    starts = {w.start for w in split_words(text)}
    ends = {w.end for w in split_words(text)}
    checked: list[dict[str, Any]] = []
    for span in sorted(entities, key=lambda e: int(e.get("start", -1))):
        start, end, entity, role = int(span.get("start", -1)), int(span.get("end", -1)), str(span.get("entity") or ""), span.get("role")
        if not 0 <= start < end <= len(text):
            raise CorrectionError(f"the span {start}-{end} is outside the message ({len(text)} characters)")
        if start not in starts or end not in ends:
            raise CorrectionError(f"the span {text[start:end]!r} does not start and end on whole words")
        if entity not in labels.entities:
            raise CorrectionError(f"unknown entity {entity!r}; choose one of: {', '.join(labels.entities)}")
        if role and role not in labels.entities[entity]:
            raise CorrectionError(f"the entity {entity!r} has no role {role!r}")
        if checked and start < checked[-1]["end"]:
            raise CorrectionError(f"the spans {text[checked[-1]['start']:checked[-1]['end']]!r} and {text[start:end]!r} overlap")
        checked.append({"start": start, "end": end, "entity": entity, "role": role or None, "value": text[start:end]})
    return checked


def item_or_error(session: Session, item_id: int) -> ReviewItem:
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise LookupError(f"no review item {item_id}")
    return item


def correct(session: Session, *, item_id: int, intent: str, entities: list[dict[str, Any]], reviewer: str, labels: Labels) -> Correction:
    """Store the reviewer's reading of the message; the item leaves the open queue."""
    item = item_or_error(session, item_id)
    if intent not in labels.intents:
        raise CorrectionError(f"unknown intent {intent!r}")
    correction = Correction(item_id=item.id, intent=intent, entities=checked_entities(item.text, entities, labels), reviewer=reviewer)
    session.add(correction)
    item.status, item.updated_at = "corrected", utcnow()
    session.flush()
    return correction


def latest_correction(session: Session, item_id: int) -> Correction | None:
    return session.scalars(select(Correction).where(Correction.item_id == item_id).order_by(Correction.id.desc())).first()


def dismiss(session: Session, *, item_id: int) -> None:
    """Nothing to fix (the model was right after all): out of the open queue, exported as nothing."""
    item = item_or_error(session, item_id)
    item.status, item.updated_at = "dismissed", utcnow()


def mark_products(session: Session, *, item_id: int, grades: dict[str, int], reviewer: str) -> int:
    """Grade products shown for the message; only products it actually showed may be graded."""
    item = item_or_error(session, item_id)
    for product_id, grade in grades.items():
        if product_id not in item.products:
            raise CorrectionError(f"product {product_id!r} was not shown for this message")
        if grade not in GRADES:
            raise CorrectionError(f"grades are {', '.join(f'{k} ({v})' for k, v in GRADES.items())}, not {grade!r}")
    for product_id, grade in grades.items():
        row = session.scalar(select(RelevanceMark).where(RelevanceMark.item_id == item.id, RelevanceMark.product_id == product_id))
        if row is None:
            session.add(RelevanceMark(item_id=item.id, product_id=product_id, grade=grade, reviewer=reviewer))
        else:
            row.grade, row.reviewer, row.created_at = grade, reviewer, utcnow()
    session.flush()
    return len(grades)


def corrections_by_event(session: Session, conversation_id: str) -> dict[int, dict[str, Any]]:
    """The latest correction of each reviewed message of a conversation, keyed by tracker event id."""
    found: dict[int, dict[str, Any]] = {}
    rows = session.execute(
        select(ReviewItem.event_id, Correction.intent, Correction.entities)
        .join(Correction, Correction.item_id == ReviewItem.id)
        .where(ReviewItem.conversation_id == conversation_id)
        .order_by(Correction.id)
    ).all()
    for event_id, intent, entities in rows:
        found[int(event_id)] = {"intent": intent, "entities": list(entities)}
    return found


def save_story(session: Session, *, conversation_id: str, steps: list[dict[str, Any]], reviewer: str) -> ReviewStory:
    if not any("action" in step for step in steps):
        raise CorrectionError("this conversation has no bot turn to test yet")
    story = ReviewStory(conversation_id=conversation_id, steps=steps, reviewer=reviewer)
    session.add(story)
    session.flush()
    return story


def set_story_actions(session: Session, *, story_id: int, actions: dict[int, str], labels: Labels) -> ReviewStory:
    """Change what the story expects the bot to do at some steps (the recorded action was the mistake)."""
    story = session.get(ReviewStory, story_id)
    if story is None:
        raise LookupError(f"no story {story_id}")
    steps = [dict(step) for step in story.steps]
    for index, action in actions.items():
        if not 0 <= index < len(steps) or "action" not in steps[index]:
            raise CorrectionError(f"step {index} of the story is not a bot action")
        if action not in labels.actions:
            raise CorrectionError(f"unknown action {action!r}")
        steps[index]["action"] = action
    story.steps = steps
    session.flush()
    return story


def forget_conversation(session: Session, *, conversation_id: str) -> int:
    """Delete the customer's messages, corrections, marks and stories from the review tables."""
    item_ids = list(session.scalars(select(ReviewItem.id).where(ReviewItem.conversation_id == conversation_id)))
    statements = [delete(ReviewItem).where(ReviewItem.conversation_id == conversation_id),
                  delete(ReviewStory).where(ReviewStory.conversation_id == conversation_id)]
    if item_ids:  # first, and explicitly: SQLite enforces ON DELETE CASCADE only with a pragma
        statements[:0] = [delete(Correction).where(Correction.item_id.in_(item_ids)),
                          delete(RelevanceMark).where(RelevanceMark.item_id.in_(item_ids))]
    deleted = sum(int(getattr(session.execute(statement), "rowcount", 0) or 0) for statement in statements)
    session.execute(delete(ScannedConversation).where(ScannedConversation.conversation_id == conversation_id))
    return deleted
