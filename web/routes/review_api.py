"""The review queue's JSON API: queue, one item, corrections, relevance marks, test stories, export.

Reading needs the reviewer role (the queue is customers' own words); every change also needs the
console's CSRF header. Customer ids are never sent to the browser: items are addressed by their own id.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from review.collect import conversation_events, events_table
from review.corrections import (
    GRADES,
    CorrectionError,
    correct,
    corrections_by_event,
    dismiss,
    item_or_error,
    mark_products,
    save_story,
    set_story_actions,
)
from review.export import export_all
from review.labels import load_labels
from review.models import ReviewItem
from review.signals import REASONS
from review.stories import story_steps
from web.db import session_scope
from web.deps import DbDep, ReviewerDep, ReviewerReadDep, StateDep
from web.review_queue import item_detail, queue, scan_now

router = APIRouter(prefix="/api/review", tags=["review"])
MAX_SPANS = 20


class SpanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: StrictInt
    end: StrictInt
    entity: StrictStr = Field(max_length=64)
    role: StrictStr | None = Field(default=None, max_length=32)


class CorrectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    intent: StrictStr = Field(max_length=64)
    entities: list[SpanIn] = Field(default_factory=list, max_length=MAX_SPANS)


class StoryActionsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # step index -> the action the bot should take there
    actions: dict[int, Annotated[str, Field(max_length=80)]] = Field(max_length=100)


class RelevanceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grades: dict[Annotated[str, Field(max_length=128)], StrictInt] = Field(max_length=50)


def _item(db: DbDep, item_id: int) -> ReviewItem:
    try:
        return item_or_error(db, item_id)
    except LookupError as error:
        raise HTTPException(status_code=404, detail="No such message in the review queue (it may have been forgotten).") from error


@router.get("/labels")
def labels(_staff: ReviewerReadDep) -> dict[str, Any]:
    """What the editor offers: the domain's intents and entities (with roles), grades and reasons."""
    found = load_labels()
    return {"intents": list(found.intents), "entities": {k: list(v) for k, v in found.entities.items()}, "actions": list(found.actions),
            "grades": {str(k): v for k, v in GRADES.items()}, "reasons": REASONS}


@router.get("/queue")
async def review_queue(_staff: ReviewerReadDep, state: StateDep,
                       status: Annotated[Literal["open", "corrected", "dismissed"], Query()] = "open") -> dict[str, Any]:
    """Scan for new turns first (incremental), then the groups, largest first."""
    await asyncio.to_thread(scan_now, state)

    def build() -> list[dict[str, Any]]:
        with session_scope(state.sessions) as db:
            return queue(state, db, status=status)

    return {"status": status, "groups": await asyncio.to_thread(build)}


@router.get("/items/{item_id}")
def item(item_id: int, _staff: ReviewerReadDep, state: StateDep, db: DbDep) -> dict[str, Any]:
    return item_detail(state, db, _item(db, item_id))


@router.post("/items/{item_id}/correction")
def save_correction(item_id: int, body: CorrectionIn, staff: ReviewerDep, state: StateDep, db: DbDep) -> dict[str, Any]:
    """Who, when, what: stored in SQL; the item leaves the open queue."""
    _item(db, item_id)
    try:
        correct(db, item_id=item_id, intent=body.intent, entities=[s.model_dump() for s in body.entities],
                reviewer=staff.username, labels=load_labels())
    except CorrectionError as error:
        raise HTTPException(status_code=422, detail=f"Not saved: {error}.") from error
    db.commit()
    return item_detail(state, db, _item(db, item_id))


@router.post("/items/{item_id}/dismiss")
def dismiss_item(item_id: int, _staff: ReviewerDep, state: StateDep, db: DbDep) -> dict[str, Any]:
    _item(db, item_id)
    dismiss(db, item_id=item_id)
    db.commit()
    return item_detail(state, db, _item(db, item_id))


@router.post("/items/{item_id}/relevance")
def save_relevance(item_id: int, body: RelevanceIn, staff: ReviewerDep, state: StateDep, db: DbDep) -> dict[str, Any]:
    _item(db, item_id)
    try:
        mark_products(db, item_id=item_id, grades=body.grades, reviewer=staff.username)
    except CorrectionError as error:
        raise HTTPException(status_code=422, detail=f"Not saved: {error}.") from error
    db.commit()
    return item_detail(state, db, _item(db, item_id))


@router.post("/items/{item_id}/story", status_code=201)
def make_story(item_id: int, staff: ReviewerDep, state: StateDep, db: DbDep) -> dict[str, Any]:
    """The item's whole conversation as a test story, with every correction of it applied."""
    found = _item(db, item_id)
    table = events_table(state.tracker) if state.tracker is not None else None
    if table is None or state.tracker is None:
        raise HTTPException(status_code=409, detail="The conversation store has no events yet.")
    steps = story_steps(conversation_events(state.tracker, table, found.conversation_id), corrections_by_event(db, found.conversation_id))
    try:
        story = save_story(db, conversation_id=found.conversation_id, steps=steps, reviewer=staff.username)
    except CorrectionError as error:
        raise HTTPException(status_code=422, detail=f"Not saved: {error}.") from error
    db.commit()
    return {"id": story.id, "name": f"reviewed conversation {story.id}", "steps": steps}


@router.post("/stories/{story_id}")
def edit_story(story_id: int, body: StoryActionsIn, _staff: ReviewerDep, db: DbDep) -> dict[str, Any]:
    """Say what the bot should have done where the recorded action was wrong."""
    try:
        story = set_story_actions(db, story_id=story_id, actions=body.actions, labels=load_labels())
    except LookupError as error:
        raise HTTPException(status_code=404, detail="No such story (it may have been forgotten).") from error
    except CorrectionError as error:
        raise HTTPException(status_code=422, detail=f"Not saved: {error}.") from error
    db.commit()
    return {"id": story.id, "name": f"reviewed conversation {story.id}", "steps": story.steps}


@router.post("/export")
def export(_staff: ReviewerDep, state: StateDep, db: DbDep) -> dict[str, Any]:
    """Rewrite the NLU examples, test stories and relevance labels in the project folder."""
    report = export_all(db, root=state.settings.review_export_dir, catalog=state.catalog_name)
    return {"summary": report.summary(), "examples": report.examples, "stories": report.stories,
            "relevance_labels": report.relevance_labels, "files": report.files,
            "withheld_contact_details": report.withheld_contact_details, "withheld_held_out": len(report.withheld_held_out)}
