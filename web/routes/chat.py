"""The customer's chat channel: send a message, reload the history, listen for staff messages."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, StrictStr, field_validator

from web.deps import CustomerDep, DbDep, ExistingCustomerDep, StateDep
from web.handoffs import open_handoff, record_waiting
from web.transcript import has_handoff, label_of, rest_message, transcript
from web.validation import checked_message_text

router = APIRouter(prefix="/api/chat", tags=["chat"])


class ChatMessageIn(BaseModel):
    """What the widget posts; unknown fields (e.g. a ``sender``) are ignored, never trusted."""

    model_config = ConfigDict(extra="ignore")

    message: StrictStr

    @field_validator("message")
    @classmethod
    def _sensible_length(cls, value: str) -> str:
        return checked_message_text(value)


class ChatReply(BaseModel):
    messages: list[dict[str, Any]]
    handoff: str | None = None


@router.post("/messages", response_model=ChatReply)
async def post_message(body: ChatMessageIn, customer: CustomerDep, state: StateDep, db: DbDep) -> ChatReply:
    """Forward a turn to Rasa (also while staff have it: Rasa logs it) and relay the bot's answer."""
    answer = [rest_message(m) for m in await state.rasa.send_message(customer, body.message)]
    handoff = open_handoff(db, conversation_id=customer)
    if handoff is None and has_handoff(answer):
        handoff = record_waiting(db, conversation_id=customer)
        db.commit()  # staff may list it before this response has even reached the customer
    state.live.publish("staff", customer, {"type": "message", "message": {"role": "customer", "text": label_of(body.message)}})
    for message in answer:
        state.live.publish("staff", customer, {"type": "message", "message": message})
    return ChatReply(messages=answer, handoff=handoff.status if handoff else None)


@router.get("/history", response_model=ChatReply)
async def history(customer: CustomerDep, state: StateDep, db: DbDep) -> ChatReply:
    """The whole conversation, rebuilt from Rasa's tracker (the widget calls this on every page load)."""
    tracker = await state.rasa.tracker(customer)
    handoff = open_handoff(db, conversation_id=customer)
    return ChatReply(messages=transcript(tracker), handoff=handoff.status if handoff else None)


@router.get("/events")
async def events(request: Request, customer: ExistingCustomerDep, state: StateDep) -> StreamingResponse:
    """Server-Sent Events: staff messages and handoff changes for this customer only."""
    return StreamingResponse(
        state.live.stream("customer", customer, request.is_disconnected),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
