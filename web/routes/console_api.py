"""The console's JSON API: open handoffs, one conversation, claim, reply, hand back, live events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, StrictStr, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.models import Handoff, as_utc
from handoff.queue import ClaimConflictError, claim, close, list_open, open_handoff
from shop.messages import OUT_OF_TURN
from web.db import session_scope
from web.deps import AgentDep, DbDep, Staff, StaffDep, StateDep
from web.rasa_client import RasaUnavailableError
from web.transcript import constraint_view, rest_message, search_state, shown_products, transcript
from web.validation import checked_message_text

router = APIRouter(prefix="/api/console", tags=["console"])
HAND_BACK_ACTION = "utter_anything_else"


class HandoffOut(BaseModel):
    conversation_id: str
    status: str
    claimed_by: str | None
    created_at: datetime
    claimed_at: datetime | None
    closed_at: datetime | None
    # Set when nobody claimed in time and the customer was told so (the request stays in the queue).
    timed_out_at: datetime | None

    @classmethod
    def of(cls, handoff: Handoff) -> HandoffOut:
        return cls(
            conversation_id=handoff.conversation_id,
            status=handoff.status,
            claimed_by=handoff.claimed_by,
            created_at=as_utc(handoff.created_at),
            claimed_at=as_utc(handoff.claimed_at) if handoff.claimed_at else None,
            closed_at=as_utc(handoff.closed_at) if handoff.closed_at else None,
            timed_out_at=as_utc(handoff.timed_out_at) if handoff.timed_out_at else None,
        )


class ConversationOut(BaseModel):
    handoff: HandoffOut
    messages: list[dict[str, Any]]
    constraints: dict[str, Any]
    shown_products: list[dict[str, Any]]


class StaffMessageIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: StrictStr

    @field_validator("text")
    @classmethod
    def _sensible_length(cls, value: str) -> str:
        return checked_message_text(value)


def latest_handoff(db: Session, conversation_id: str) -> Handoff:
    """The open handoff, else the most recent closed one; 404 for conversations never handed over."""
    handoff = (
        open_handoff(db, conversation_id=conversation_id)
        or db.scalars(select(Handoff).where(Handoff.conversation_id == conversation_id).order_by(Handoff.id.desc())).first()
    )
    if handoff is None:
        raise HTTPException(status_code=404, detail="No handoff for this conversation.")
    return handoff


def held_by(db: Session, conversation_id: str, staff: Staff) -> Handoff:
    """The active handoff of ``staff``: 409 when waiting, closed or someone else's."""
    handoff = latest_handoff(db, conversation_id)
    if handoff.status != "active" or handoff.claimed_by != staff.username:
        who = f" by {handoff.claimed_by}" if handoff.claimed_by and handoff.status == "active" else ""
        raise HTTPException(status_code=409, detail=f"This conversation is {handoff.status}{who}; claim it first.")
    return handoff


@router.get("/model")
async def running_model(_staff: StaffDep, state: StateDep) -> dict[str, Any]:
    """The model the assistant runs: version, when it was trained and, if the retrain gate shipped it, its figures."""
    from web.model_status import model_info

    try:
        status = await state.rasa.status()
    except RasaUnavailableError as error:
        raise HTTPException(status_code=503, detail=f"The assistant cannot be asked which model it runs: {error}") from error
    return model_info(status, state.settings)


@router.get("/handoffs", response_model=list[HandoffOut])
def handoffs(_staff: StaffDep, db: DbDep) -> list[HandoffOut]:
    return [HandoffOut.of(h) for h in list_open(db)]


@router.get("/conversations/{conversation_id}", response_model=ConversationOut)
async def conversation(conversation_id: str, _staff: StaffDep, state: StateDep, db: DbDep) -> ConversationOut:
    """Transcript, constraints and products on screen, so staff start where the bot stopped."""
    handoff = latest_handoff(db, conversation_id)
    tracker = await state.rasa.tracker(conversation_id)
    search = search_state(tracker)
    shown = [str(i) for i in search.get("shown") or []]
    return ConversationOut(
        handoff=HandoffOut.of(handoff),
        messages=transcript(tracker),
        constraints=constraint_view(search.get("constraints")),
        shown_products=shown_products(tracker, shown),
    )


@router.post("/conversations/{conversation_id}/claim", response_model=HandoffOut)
async def claim_conversation(conversation_id: str, staff: AgentDep, state: StateDep, db: DbDep) -> HandoffOut:
    """Take the conversation over; the bot is paused first, since it answers again after a timeout.

    Pausing a conversation that is already paused changes nothing, so it is not checked first. A
    timer resuming the bot at the same moment pauses it again once it sees the claim
    (``web/handoff_timer.py``).
    """
    current = open_handoff(db, conversation_id=conversation_id)
    if current is None:
        raise HTTPException(status_code=404, detail="No open handoff for this conversation.")
    if current.status == "active" and current.claimed_by != staff.username:
        raise HTTPException(status_code=409, detail=f"This conversation is already claimed by {current.claimed_by}.")
    await state.rasa.append_events(conversation_id, [{"event": "pause"}])
    try:
        handoff = claim(db, conversation_id=conversation_id, username=staff.username)
    except ClaimConflictError as error:
        raise HTTPException(status_code=409, detail=f"This conversation is {error}.") from error
    if handoff is None:
        raise HTTPException(status_code=404, detail="No open handoff for this conversation.")
    db.commit()
    state.live.publish("customer", conversation_id, {"type": "handoff", "status": "active", "staff": staff.username})
    return HandoffOut.of(handoff)


@router.post("/conversations/{conversation_id}/messages", status_code=201)
async def send(conversation_id: str, body: StaffMessageIn, staff: AgentDep, state: StateDep, db: DbDep) -> dict[str, Any]:
    """Log the message in the tracker as a bot turn (metadata names the staff member), then push it.

    Widget customers get it over SSE; customers of Rasa's REST channel at the start of the answer to
    their next message (the ``OUT_OF_TURN`` mark, ``bot/channels/rest.py``).
    """
    held_by(db, conversation_id, staff)
    event = {"event": "bot", "text": body.text, "metadata": {"staff": staff.username, OUT_OF_TURN: True}}
    await state.rasa.append_events(conversation_id, [event])
    message = {"role": "staff", "staff": staff.username, "text": body.text}
    state.live.publish("customer", conversation_id, {"type": "message", "message": message})
    state.live.publish("staff", conversation_id, {"type": "message", "message": message})
    return {"message": message}


@router.post("/conversations/{conversation_id}/handback", response_model=HandoffOut)
async def hand_back(conversation_id: str, staff: AgentDep, state: StateDep, db: DbDep) -> HandoffOut:
    """Resume the bot with the whole context and let it speak next (``utter_anything_else``)."""
    handoff = held_by(db, conversation_id, staff)
    await state.rasa.append_events(conversation_id, [{"event": "resume"}])
    messages = [rest_message(m) for m in await state.rasa.execute(conversation_id, HAND_BACK_ACTION)]
    # /execute does not end the bot's turn; without this the next customer message meets a turn
    # that never listened, and the policies fall back instead of answering.
    await state.rasa.append_events(conversation_id, [{"event": "action", "name": "action_listen"}])
    close(db, handoff=handoff)
    db.commit()
    state.live.publish("customer", conversation_id, {"type": "handoff", "status": "closed"})
    for message in messages:
        state.live.publish("customer", conversation_id, {"type": "message", "message": message})
        state.live.publish("staff", conversation_id, {"type": "message", "message": message})
    return HandoffOut.of(handoff)


@router.get("/conversations/{conversation_id}/events")
async def events(conversation_id: str, request: Request, _staff: StaffDep, state: StateDep) -> StreamingResponse:
    """Server-Sent Events: the customer's messages (and the bot's answers) while staff watch."""
    with session_scope(state.sessions) as db:  # not held open for the life of the stream
        latest_handoff(db, conversation_id)
    return StreamingResponse(
        state.live.stream("staff", conversation_id, request.is_disconnected),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
