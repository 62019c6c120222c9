"""The customer API for clients other than the widget: a terminal, an app, another channel's bridge.

``POST /api/v1/customers`` issues a customer token (shown once; only its SHA-256 is stored), then
``Authorization: Bearer <token>`` names the customer on every call, as the signed cookie does for
the widget. Messages go through the same gate as the widget's (``send_turn``): the same rate limits
and exactly-once turns by ``message_id``. Without a live stream, staff replies and the "nobody is
free" notice come at the start of the answer to the customer's next message.

    curl -s -X POST http://127.0.0.1:8000/api/v1/customers
    curl -s http://127.0.0.1:8000/api/v1/messages -H "Authorization: Bearer $TOKEN" \\
         -H 'Content-Type: application/json' -d '{"message": "black running shoes", "message_id": "m-1"}'
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from handoff.queue import open_handoff
from web.db import session_scope
from web.deps import ApiCustomerDep, DbDep, StateDep, client_address
from web.handoff_timer import customer_status
from web.models import ApiCustomer
from web.routes.chat import ChatMessageIn, ChatReply, send_turn
from web.security import new_api_customer_id, new_api_token, token_digest
from web.state import AppState
from web.transcript import transcript

router = APIRouter(prefix="/api/v1", tags=["api"])
HOUR = 3600.0


class CustomerOut(BaseModel):
    # The bearer token: keep it secret, it is the customer's identity (it cannot be shown again).
    token: str
    # The conversation id staff see in the console for this customer.
    customer_id: str


def issue_customer(state: AppState) -> CustomerOut:
    """A new API customer: a random token, stored as its hash, standing for a random customer id."""
    token, customer_id = new_api_token(), new_api_customer_id()
    with session_scope(state.sessions) as db:
        db.add(ApiCustomer(token_hash=token_digest(token), customer_id=customer_id))
    return CustomerOut(token=token, customer_id=customer_id)


@router.post("/customers", response_model=CustomerOut, status_code=201)
async def new_customer(request: Request, state: StateDep) -> CustomerOut:
    """Issue a customer token (per address at most ``SHOP_NEW_CUSTOMERS_PER_IP_HOUR`` an hour)."""
    wait = await asyncio.to_thread(state.limiter.retry_after, "new-customer", client_address(request),
                                   limit=state.settings.new_customers_per_ip_hour, window=HOUR)
    if wait:
        raise HTTPException(status_code=429, detail=f"Too many new customers from this address; wait {wait} s.",
                            headers={"Retry-After": str(wait)})
    return await asyncio.to_thread(issue_customer, state)


@router.post("/messages", response_model=ChatReply)
async def post_message(body: ChatMessageIn, request: Request, customer: ApiCustomerDep, state: StateDep) -> ChatReply:
    """A turn of the token's customer; a repeat with the same ``message_id`` gets the first answer."""
    return await send_turn(state, request, customer=customer, text=body.message, message_id=body.message_id, live=False)


@router.get("/history", response_model=ChatReply)
async def history(customer: ApiCustomerDep, state: StateDep, db: DbDep) -> ChatReply:
    """The token customer's whole conversation."""
    tracker = await state.rasa.tracker(customer)
    return ChatReply(messages=transcript(tracker), handoff=customer_status(open_handoff(db, conversation_id=customer)))
