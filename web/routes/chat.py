"""The customer's chat channel: send a message, reload the history, listen for staff messages."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, StrictStr, field_validator

from handoff.queue import open_handoff
from shop.messages import RECEIVES_LIVE
from web.deps import CustomerDep, DbDep, ExistingCustomerDep, StateDep
from web.handoff_timer import customer_status
from web.transcript import label_of, rest_message, transcript
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
    # None, "waiting", "queued" (nobody was free in time: the bot helps meanwhile) or "active".
    handoff: str | None = None


@router.post("/messages", response_model=ChatReply)
async def post_message(body: ChatMessageIn, customer: CustomerDep, state: StateDep, db: DbDep) -> ChatReply:
    """Forward a turn to Rasa (also while staff have it: Rasa logs it) and relay the bot's answer.

    A handoff is queued by the action server itself; the widget gets staff messages and the timeout
    notice pushed (``/events``), so Rasa is told not to repeat them in its answers.
    """
    answer = [rest_message(m) for m in await state.rasa.send_message(customer, body.message, metadata={RECEIVES_LIVE: True})]
    handoff = open_handoff(db, conversation_id=customer)
    state.live.publish("staff", customer, {"type": "message", "message": {"role": "customer", "text": label_of(body.message)}})
    for message in answer:
        state.live.publish("staff", customer, {"type": "message", "message": message})
    return ChatReply(messages=answer, handoff=customer_status(handoff))


@router.get("/history", response_model=ChatReply)
async def history(customer: CustomerDep, state: StateDep, db: DbDep) -> ChatReply:
    """The whole conversation, rebuilt from Rasa's tracker (the widget calls this on every page load)."""
    tracker = await state.rasa.tracker(customer)
    handoff = open_handoff(db, conversation_id=customer)
    return ChatReply(messages=transcript(tracker), handoff=customer_status(handoff))


@router.get("/events")
async def events(request: Request, customer: ExistingCustomerDep, state: StateDep) -> StreamingResponse:
    """Server-Sent Events: staff messages, handoff changes and the timeout notice for this customer only."""
    return StreamingResponse(
        state.live.stream("customer", customer, request.is_disconnected),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
