"""The customer's chat channel: send a message, reload the history, listen for staff messages.

Two ways in, one gate: the widget (``/api/chat``, the customer is the signed cookie) and API clients
(``/api/v1``, the customer is the bearer token, ``web/routes/api.py``). Both go through
``send_turn``: rate limits per customer and per address, then the turn runs exactly once per client
message id (``web/turns.py``), so Rasa only ever hears customers the web app has identified.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator

from handoff.queue import open_handoff
from shop.messages import RECEIVES_LIVE
from web.db import session_scope
from web.deps import CustomerDep, DbDep, ExistingCustomerDep, StateDep, client_address
from web.handoff_timer import customer_status
from web.state import AppState
from web.transcript import label_of, rest_message, transcript
from web.turns import MessageReusedError, answer_once, new_message_id
from web.validation import MESSAGE_ID_PATTERN, checked_message_text

router = APIRouter(prefix="/api/chat", tags=["chat"])


class ChatMessageIn(BaseModel):
    """What the widget posts; unknown fields (e.g. a ``sender``) are ignored, never trusted."""

    model_config = ConfigDict(extra="ignore")

    message: StrictStr
    # The client's id of this message: a repeat with the same id gets the first answer and changes
    # nothing. Without one the server makes one, and a repeat counts as a new message.
    message_id: str | None = Field(default=None, pattern=MESSAGE_ID_PATTERN)

    @field_validator("message")
    @classmethod
    def _sensible_length(cls, value: str) -> str:
        return checked_message_text(value)


class ChatReply(BaseModel):
    messages: list[dict[str, Any]]
    # None, "waiting", "queued" (nobody was free in time: the bot helps meanwhile) or "active".
    handoff: str | None = None


def check_rate(state: AppState, *, customer: str, address: str) -> None:
    """429 once this address or this customer has sent its share of messages for the window."""
    settings = state.settings
    for scope, who, limit in (("ip", address, settings.rate_per_ip), ("customer", customer, settings.rate_per_customer)):
        wait = state.limiter.retry_after(scope, who, limit=limit, window=settings.rate_window_seconds)
        if wait:
            raise HTTPException(status_code=429, detail=f"Too many messages; please wait {wait} s and try again.",
                                headers={"Retry-After": str(wait)})


async def send_turn(state: AppState, request: Request, *, customer: str, text: str, message_id: str | None, live: bool) -> ChatReply:
    """Rate-limit, then run the turn once per message id: forward it to Rasa and relay the answer.

    ``live``: the client gets staff messages and the timeout notice pushed (the widget's SSE), so
    Rasa must not repeat them in its answers; an API client gets them with its next answer instead.
    A handoff is queued by the action server itself. Staff watching the conversation see the
    customer's message and the answer once, from the request that ran the turn.
    """
    await asyncio.to_thread(check_rate, state, customer=customer, address=client_address(request))
    message_id = message_id or new_message_id()

    async def run() -> dict[str, Any]:
        said = await state.rasa.send_message(customer, text, message_id=message_id, metadata={RECEIVES_LIVE: True} if live else None)
        answer = [rest_message(m) for m in said]
        with session_scope(state.sessions) as db:
            handoff = customer_status(open_handoff(db, conversation_id=customer))
        return {"messages": answer, "handoff": handoff}

    try:
        reply, fresh = await answer_once(state.sessions, customer_id=customer, message_id=message_id, text=text,
                                         request_timeout=state.settings.rasa_timeout, run=run)
    except MessageReusedError as error:
        raise HTTPException(status_code=409, detail=str(error)) from error
    if fresh:
        state.live.publish("staff", customer, {"type": "message", "message": {"role": "customer", "text": label_of(text)}})
        for message in reply["messages"]:
            state.live.publish("staff", customer, {"type": "message", "message": message})
    return ChatReply(**reply)


@router.post("/messages", response_model=ChatReply)
async def post_message(body: ChatMessageIn, request: Request, customer: CustomerDep, state: StateDep) -> ChatReply:
    """A turn of the widget's customer (also while staff have it: Rasa logs it)."""
    return await send_turn(state, request, customer=customer, text=body.message, message_id=body.message_id, live=True)


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
