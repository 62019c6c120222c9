"""Faults in production mode, with real processes: the customer is told clearly, the conversation
carries on afterwards with its constraints, no answered turn is missing from the tracker store, no
turn is stored twice and no feedback, cart or handoff row is written twice.

Customers come in through the published port (the web app's API) only. Order matters (pytest runs
them top to bottom on one shared stack); each test leaves it whole again.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from shop.messages import TROUBLE_MESSAGE
from tests.reliability.conftest import (
    TURN_TIMEOUT,
    Customer,
    assert_no_lost_turns,
    doubled_side_effects,
    doubled_turns,
    record,
    side_effect_rows,
    slots,
    stored_user_events,
    texts,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def new_customer(stack: Any) -> Customer:
    return Customer(stack.public_url)


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


def first_card(messages: list[dict[str, Any]]) -> str:
    for message in messages:
        custom = message.get("custom") or {}
        if custom.get("type") == "product_cards" and custom.get("products"):
            return str(custom["products"][0]["id"])
    raise AssertionError(f"no product cards in {messages}")


@contextlib.contextmanager
def actions_paused(stack: Any) -> Iterator[None]:
    """Both action workers frozen (SIGSTOP): a turn that calls an action hangs until they resume."""
    pids = [stack.servers[key].process.pid for key in stack.servers if key.startswith("actions-")]
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)


def replica_in_turn(stack: Any, timeout: float = 20.0) -> str:
    """The Rasa replica that is waiting for an action call (its connection to the action balancer)."""
    from shop.ops.ports import clients_of

    replicas = {stack.servers[key].process.pid: key for key in stack.servers if key.startswith("rasa-")}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        calling = {replicas[h.pid] for h in clients_of(stack.settings.prod_port + 1) if h.pid in replicas}
        if len(calling) == 1:
            return calling.pop()
        time.sleep(0.1)
    raise AssertionError("no single Rasa replica is calling the action workers")


def assert_once(stack: Any, customer: Customer, message_id: str) -> None:
    ids = [event.get("message_id") for event in stored_user_events(stack, customer.sender)]
    assert ids.count(message_id) == 1, ids
    assert doubled_turns(stack, customer.sender) == 0
    assert doubled_side_effects(stack, customer.sender) == 0


def test_action_server_outage_is_told_and_the_conversation_resumes(prod_stack: Any) -> None:
    customer = new_customer(prod_stack)
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
    customer = new_customer(prod_stack)
    before = start_shopping(prod_stack, customer)
    prod_stack.pg.restart()
    # Pooled connections died with the server: at most one failed turn per replica, then it reconnects.
    answer = customer.say("/show_more", retry_for=60)
    assert sum(customer.failures.values()) <= len(prod_stack.rasa_ports) + len(prod_stack.web_ports), customer.failures
    assert answer and TROUBLE_MESSAGE not in texts(answer), answer
    answer = customer.say("/show_more", retry_for=30)
    assert answer and TROUBLE_MESSAGE not in texts(answer), answer
    assert constraints(prod_stack, customer.sender) == before
    assert_no_lost_turns(prod_stack, customer)


def test_redis_restart(prod_stack: Any) -> None:
    customer = new_customer(prod_stack)
    before = start_shopping(prod_stack, customer)
    prod_stack.redis.kill()
    try:  # no lock store, no shared rate limits: the turn is refused with the clear message, not answered with silence
        refused = customer.send("/show_more", uuid.uuid4().hex)
        assert refused.status_code == 503, (refused.status_code, refused.text)
        assert refused.json()["detail"] == TROUBLE_MESSAGE
    finally:
        prod_stack.redis.start()
    answer = customer.say("/show_more", retry_for=60)
    assert answer and TROUBLE_MESSAGE not in texts(answer), answer
    assert constraints(prod_stack, customer.sender) == before
    assert_no_lost_turns(prod_stack, customer)


def test_rasa_replica_killed_under_load(prod_stack: Any) -> None:
    customers = [new_customer(prod_stack) for _ in range(6)]
    script = ["hi", "show me black running shoes for men", "under 80 dollars", "show more", "tell me about the second one", "thanks"]
    stop = threading.Event()
    errors: list[str] = []

    def chat(customer: Customer) -> None:
        for text in script * 3:
            if stop.is_set():
                return
            try:
                customer.say(text)  # no client retry: the balancer must hide the dead replica
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
        assert doubled_turns(prod_stack, customer.sender) == 0
        assert doubled_side_effects(prod_stack, customer.sender) == 0
    # The survivor serves everyone; then the replica comes back and serves again (internal address, token).
    prod_stack.start_rasa(0).wait_ready(400)
    replica = f"http://127.0.0.1:{prod_stack.rasa_ports[0]}"
    response = httpx.post(f"{replica}/webhooks/rest/webhook", json={"sender": customers[0].sender, "message": "show more"},
                          headers={"Authorization": f"Bearer {prod_stack.token}"}, timeout=90)
    assert response.status_code == 200 and response.json(), response.text


def test_exactly_once_when_a_replica_is_killed_mid_turn(prod_stack: Any) -> None:
    """The replica running an add-to-cart turn dies in the middle of its action call; the other replica runs it.

    The frozen action workers hold the dead replica's call and answer it once they resume, so the
    cart row may be written by both runs: it must be stored once, and the turn once.
    """
    customer = new_customer(prod_stack)
    product = first_card(customer.say("show me black running shoes for men"))
    message_id = f"cart-{uuid.uuid4().hex}"
    answers: list[list[dict[str, Any]]] = []
    victim = ""
    try:
        with actions_paused(prod_stack):
            sender = threading.Thread(target=lambda: answers.append(
                customer.say(f'/add_to_cart{{"product_id": "{product}"}}', message_id=message_id, retry_for=120)))
            sender.start()
            victim = replica_in_turn(prod_stack)
            prod_stack.kill(victim)  # SIGKILL in the middle of the turn
        sender.join(timeout=180)
        assert answers and "cart" in texts(answers[0]).lower(), answers
        assert_once(prod_stack, customer, message_id)
        assert side_effect_rows(prod_stack, customer.sender, "add_to_cart") == 1
        again = customer.say(f'/add_to_cart{{"product_id": "{product}"}}', message_id=message_id)  # a late duplicate
        assert again == answers[0]
        assert_once(prod_stack, customer, message_id)
        assert side_effect_rows(prod_stack, customer.sender, "add_to_cart") == 1
        assert_no_lost_turns(prod_stack, customer)
    finally:
        record("exactly_once", {"killed_mid_turn": {
            "turns_sent": len(customer.answered), "missing_turns": _missing(prod_stack, customer),
            "doubled_turns": doubled_turns(prod_stack, customer.sender),
            "doubled_side_effects": doubled_side_effects(prod_stack, customer.sender),
            "cart_rows_for_the_message": side_effect_rows(prod_stack, customer.sender, "add_to_cart"),
            "client_failures_before_the_answer": dict(customer.failures),
        }})
        if victim:
            prod_stack.start_rasa(int(victim.split("-")[1]) - 1).wait_ready(400)


def test_exactly_once_when_a_turn_outlasts_the_proxy_timeout(prod_stack: Any) -> None:
    """A turn slower than nginx's timeout is sent to the other replica while the first still works on it."""
    customer = new_customer(prod_stack)
    product = first_card(customer.say("show me black running shoes for men"))
    message_id = f"like-{uuid.uuid4().hex}"
    started = time.time()
    answers: list[list[dict[str, Any]]] = []
    with actions_paused(prod_stack):
        sender = threading.Thread(target=lambda: answers.append(
            customer.say(f'/feedback_positive{{"product_id": "{product}"}}', message_id=message_id, retry_for=120)))
        sender.start()
        time.sleep(TURN_TIMEOUT + 4)  # past nginx's timeout: it has asked the other replica by now
    sender.join(timeout=180)
    resent = resent_turns(prod_stack, started)
    try:
        assert answers and answers[0], answers
        assert resent >= 1, "nginx did not send the slow turn to the other replica: the test proved nothing"
        assert_once(prod_stack, customer, message_id)
        assert side_effect_rows(prod_stack, customer.sender, "like") == 1
        assert_no_lost_turns(prod_stack, customer)
    finally:
        record("exactly_once", {"slow_turn": {
            "turn_timeout_s": TURN_TIMEOUT, "turns_sent": len(customer.answered), "resent_by_nginx": resent,
            "missing_turns": _missing(prod_stack, customer), "doubled_turns": doubled_turns(prod_stack, customer.sender),
            "doubled_side_effects": doubled_side_effects(prod_stack, customer.sender),
            "feedback_rows_for_the_message": side_effect_rows(prod_stack, customer.sender, "like"),
        }})


def _missing(stack: Any, customer: Customer) -> int:
    from collections import Counter

    from tests.reliability.conftest import stored_user_texts

    return sum((Counter(customer.answered) - Counter(stored_user_texts(stack, customer.sender))).values())


def resent_turns(stack: Any, since: float) -> int:
    """Turns nginx's Rasa balancer sent to a second replica since ``since`` (two upstreams in its log line)."""
    time.sleep(2.5)  # nginx flushes its access log every 2 s
    port = str(stack.nginx.rasa_balancer_port)
    count = 0
    for line in (stack.logs / "nginx-access.log").read_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if (entry.get("server_port") == port and entry.get("uri") == "/webhooks/rest/webhook"
                and datetime.fromisoformat(entry["time"]).timestamp() >= since - 1 and "," in entry.get("upstream", "")):
            count += 1
    return count
