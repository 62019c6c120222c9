"""Faults in production mode, with real processes: the customer is told clearly, the conversation
carries on afterwards with its constraints, and no answered turn is missing from the tracker store.

Order matters (pytest runs them top to bottom on one shared stack); each test leaves it whole again.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import httpx
import pytest

from shop.messages import TROUBLE_MESSAGE
from tests.reliability.conftest import Customer, assert_no_lost_turns, slots, texts

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def new_customer(stack: Any, name: str) -> Customer:
    return Customer(stack.public_url, f"fault-{name}-{uuid.uuid4().hex[:8]}")


def constraints(stack: Any, sender: str) -> dict[str, Any]:
    state = slots(stack, sender).get("search_state") or {}
    return dict(state.get("constraints") or {})


def start_shopping(stack: Any, customer: Customer) -> dict[str, Any]:
    """A search whose constraints the turns after the fault must still honour; returns them.

    Later turns use the "Show more" button's payload (``/show_more``): the test is about recovery,
    not about how the NLU model reads free text.
    """
    answer = customer.say("show me black running shoes for men")
    assert answer, "the bot answered nothing to a search"
    kept = constraints(stack, customer.sender)
    assert "Black" in kept.get("wanted", {}).get("colour", []), kept
    return kept


def test_action_server_outage_is_told_and_the_conversation_resumes(prod_stack: Any) -> None:
    customer = new_customer(prod_stack, "actions")
    before = start_shopping(prod_stack, customer)

    try:
        prod_stack.kill("actions-1")  # one worker gone: nginx sends the call to the other one
        answer = customer.say("/show_more")
        assert answer and TROUBLE_MESSAGE not in texts(answer), "one dead worker must be invisible to customers"

        prod_stack.kill("actions-2")  # none left: the customer hears it, clearly, instead of silence
        answer = customer.say("/show_more")
        assert TROUBLE_MESSAGE in texts(answer), answer
    finally:  # the next tests need the whole pool
        for index in (0, 1):
            if prod_stack.servers[f"actions-{index + 1}"].process.poll() is not None:
                prod_stack.start_action(index).wait_ready(180)
    answer = customer.say("/show_more")
    assert answer and TROUBLE_MESSAGE not in texts(answer), answer
    assert constraints(prod_stack, customer.sender) == before
    assert_no_lost_turns(prod_stack, customer)


def test_postgresql_restart(prod_stack: Any) -> None:
    customer = new_customer(prod_stack, "pg")
    before = start_shopping(prod_stack, customer)
    prod_stack.pg.restart()
    # Rasa's pooled connections died with the server: at most one failed turn per replica, then it reconnects.
    answer = customer.say("/show_more", retry_for=60)
    assert sum(customer.failures.values()) <= len(prod_stack.rasa_ports), customer.failures
    assert answer and TROUBLE_MESSAGE not in texts(answer), answer
    answer = customer.say("/show_more", retry_for=30)
    assert answer and TROUBLE_MESSAGE not in texts(answer), answer
    assert constraints(prod_stack, customer.sender) == before
    assert_no_lost_turns(prod_stack, customer)


def test_redis_restart(prod_stack: Any) -> None:
    customer = new_customer(prod_stack, "redis")
    before = start_shopping(prod_stack, customer)
    prod_stack.redis.kill()
    try:  # no lock store: the turn is refused with the clear message, not answered with silence
        refused = httpx.post(f"{prod_stack.public_url}/webhooks/rest/webhook", json={"sender": customer.sender, "message": "/show_more"},
                             timeout=90)
        assert refused.status_code == 503, (refused.status_code, refused.text)
        assert refused.json()["messages"][0]["text"] == TROUBLE_MESSAGE
    finally:
        prod_stack.redis.start()
    answer = customer.say("/show_more", retry_for=60)
    assert answer and TROUBLE_MESSAGE not in texts(answer), answer
    assert constraints(prod_stack, customer.sender) == before
    assert_no_lost_turns(prod_stack, customer)


def test_rasa_replica_killed_under_load(prod_stack: Any) -> None:
    customers = [new_customer(prod_stack, f"replica{i}") for i in range(6)]
    script = ["hi", "show me black running shoes for men", "under 80 dollars", "show more", "tell me about the second one", "thanks"]
    stop = threading.Event()
    errors: list[str] = []

    def chat(customer: Customer) -> None:
        for text in script * 3:
            if stop.is_set():
                return
            try:
                customer.say(text)  # no client retry: nginx must hide the dead replica
            except AssertionError as error:
                errors.append(str(error))

    threads = [threading.Thread(target=chat, args=(c,)) for c in customers]
    for thread in threads:
        thread.start()
    time.sleep(4)
    prod_stack.kill("rasa-1")  # SIGKILL with turns in flight
    for thread in threads:
        thread.join(timeout=300)
    stop.set()
    assert not errors, errors
    assert sum(len(c.answered) for c in customers) >= len(customers) * 4
    for customer in customers:
        assert_no_lost_turns(prod_stack, customer)
    # The survivor serves everyone; then the replica comes back and serves again.
    prod_stack.start_rasa(0).wait_ready(400)
    replica = f"http://127.0.0.1:{prod_stack.rasa_ports[0]}"
    response = httpx.post(f"{replica}/webhooks/rest/webhook", json={"sender": customers[0].sender, "message": "show more"}, timeout=90)
    assert response.status_code == 200 and response.json(), response.text
