"""Security of production mode, from outside: only the published port, as a stranger on the internet has.

Every internal API (Rasa's REST channel and HTTP API, the action server, Redis, PostgreSQL) is
unreachable there; a forged sender or customer id reaches no other customer's conversation or
feedback through any published path; and the rate limits hold although two web-app replicas
answer (their counters are shared in Redis).
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections import Counter
from datetime import datetime
from typing import Any

import pytest

from tests.reliability.conftest import (
    RATE_PER_CUSTOMER,
    RATE_PER_IP,
    Customer,
    client_from,
    next_address,
    record,
    stored_user_texts,
)
from tests.web.conftest import STAFF_PASSWORD, login

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

# What lies behind the published port in a stock deployment of these services: none may answer there.
INTERNAL = [
    ("POST", "/webhooks/rest/webhook"), ("GET", "/webhooks/rest/"), ("POST", "/webhooks/rest/webhook?stream=true"),
    ("GET", "/conversations/victim/tracker"), ("POST", "/conversations/victim/tracker/events"),
    ("PUT", "/conversations/victim/tracker/events"), ("POST", "/conversations/victim/messages"),
    ("POST", "/conversations/victim/execute"), ("POST", "/conversations/victim/trigger_intent"),
    ("POST", "/conversations/victim/predict"), ("GET", "/conversations/victim/story"),
    ("POST", "/model/parse"), ("PUT", "/model"), ("POST", "/model/train"), ("GET", "/status"), ("GET", "/version"),
    ("GET", "/domain"), ("POST", "/webhook"), ("GET", "/health"), ("GET", "/actions"),
    ("GET", "/_unkeyed_turn"), ("POST", "/_unkeyed_turn"),
]


def raw_exchange(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(payload)
        try:
            return conn.recv(512)
        except TimeoutError:
            return b""


def test_internal_apis_are_unreachable_through_the_published_port(prod_stack: Any) -> None:
    token = prod_stack.token  # even with Rasa's token (a leaked one) nothing internal answers
    reachable: list[str] = []
    with client_from(next_address(), prod_stack.public_url, timeout=30) as stranger:
        for method, path in INTERNAL:
            for extra in ({}, {"params": {"token": token}, "headers": {"Authorization": f"Bearer {token}"}}):
                response = stranger.request(method, path, json={"sender": "victim", "message": "hi", "name": "utter_greet"}, **extra)
                if response.status_code != 404:
                    reachable.append(f"{method} {path} -> {response.status_code}")
    # Redis and PostgreSQL do not speak through it either (nginx answers their greetings as bad HTTP).
    port = prod_stack.settings.prod_port
    redis_reply = raw_exchange(port, f"AUTH {prod_stack.redis.password}\r\nPING\r\n".encode())
    pg_reply = raw_exchange(port, b"\x00\x00\x00\x08\x04\xd2\x16\x2f")  # PostgreSQL's SSLRequest
    for name, reply in (("redis", redis_reply), ("postgresql", pg_reply)):
        if b"PONG" in reply or reply[:1] in (b"S", b"N") or b"+OK" in reply:
            reachable.append(f"{name} protocol answered: {reply[:40]!r}")
    # Everything but nginx's public port listens on loopback only.
    from shop.ops.ports import listen_addresses

    exposed = [f"{what} on {sorted(listen_addresses(p))}" for p, what in prod_stack.ports()
               if p != port and listen_addresses(p) - {"127.0.0.1", "::1"}]
    record("exposure", {"internal_endpoints_checked": 2 * len(INTERNAL) + 2, "internal_endpoints_reachable": len(reachable),
                        "internal_ports_beyond_loopback": len(exposed), "reachable": reachable + exposed})
    assert not reachable, reachable
    assert not exposed, exposed


def test_a_forged_sender_reaches_no_other_conversation_or_feedback(prod_stack: Any) -> None:
    from tests.reliability.test_faults import first_card

    victim = Customer(prod_stack.public_url)
    secret = f"my secret code is {uuid.uuid4().hex}"
    product = first_card(victim.say("show me black running shoes for men"))
    victim.say(secret)
    said_before = stored_user_texts(prod_stack, victim.sender)
    feedback_before = feedback_rows(prod_stack, victim.sender)
    attacker = Customer(prod_stack.public_url)
    forged = {"sender": victim.sender, "customer_id": victim.sender, "conversation_id": victim.sender,
              "metadata": {"sender": victim.sender}}
    dislike = f'/feedback_negative{{"product_id": "{product}"}}'
    seen: list[str] = []
    with client_from(attacker.address, prod_stack.public_url, timeout=60) as client:
        own = {"Authorization": f"Bearer {attacker.token}"}
        attempts = [
            client.post("/api/v1/messages", headers=own, json={"message": dislike, **forged}),
            client.post("/api/v1/messages", headers=own, params={"sender": victim.sender}, json={"message": "/add_to_cart"}),
            client.get("/api/v1/history", headers=own, params={"sender": victim.sender, "customer_id": victim.sender}),
            client.post("/api/v1/messages", headers={"Authorization": f"Bearer {victim.sender}"}, json={"message": dislike}),
            client.get("/api/v1/history", headers={"Authorization": f"Bearer {victim.sender}"}),
            client.post("/api/chat/messages", json={"message": dislike, **forged}),
            client.post("/api/chat/messages", cookies={"shop_customer": victim.sender}, json={"message": dislike, **forged}),
            client.get("/api/chat/history", cookies={"shop_customer": victim.sender}),
            client.get(f"/api/console/conversations/{victim.sender}"),
            client.post(f"/api/console/conversations/{victim.sender}/messages", json={"text": "hi"}),
            client.post("/webhooks/rest/webhook", json={"sender": victim.sender, "message": dislike}),
            client.get(f"/conversations/{victim.sender}/tracker", params={"token": "guess"}),
        ]
        seen = [response.text for response in attempts]
    assert all(secret not in text for text in seen), "a stranger read the victim's conversation"
    assert all(response.status_code < 500 for response in attempts), [r.status_code for r in attempts]
    assert stored_user_texts(prod_stack, victim.sender) == said_before, "a stranger wrote into the victim's conversation"
    assert feedback_rows(prod_stack, victim.sender) == feedback_before, "a stranger changed the victim's feedback profile"
    assert victim.say("/greet"), "the victim's own conversation stopped answering"


def feedback_rows(stack: Any, customer_id: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(stack.pg.url("shop").replace("postgresql+psycopg://", "postgresql://")) as conn:
        return [tuple(row) for row in conn.execute(
            "SELECT kind, product_id, message_id FROM feedback_events WHERE customer_id = %s ORDER BY id", (customer_id,))]


def web_replicas_used(stack: Any, since: float) -> Counter[str]:
    """Which web-app replicas nginx's public server sent requests to since ``since`` (from its access log)."""
    time.sleep(2.5)  # nginx flushes its access log every 2 s
    used: Counter[str] = Counter()
    for line in (stack.logs / "nginx-access.log").read_text().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("server_port") == str(stack.settings.prod_port) and datetime.fromisoformat(entry["time"]).timestamp() >= since - 1:
            for upstream in entry.get("upstream", "").split(","):
                used[upstream.strip()] += 1
    return used


def test_rate_limits_hold_across_both_web_replicas(prod_stack: Any) -> None:
    started = time.time()
    customer = Customer(prod_stack.public_url)
    codes = Counter(customer.send("/greet", uuid.uuid4().hex).status_code for _ in range(RATE_PER_CUSTOMER + 10))
    assert codes == Counter({200: RATE_PER_CUSTOMER, 429: 10}), codes
    # Several customers from one address share the address's budget.
    address = next_address()
    crowd = [Customer(prod_stack.public_url, address=address) for _ in range(3)]
    per_ip = Counter(crowd[n % 3].send("/greet", uuid.uuid4().hex).status_code for n in range(RATE_PER_IP + 15))
    assert per_ip == Counter({200: RATE_PER_IP, 429: 15}), per_ip
    used = web_replicas_used(prod_stack, started)
    assert all(used[f"127.0.0.1:{port}"] >= 10 for port in prod_stack.web_ports), used  # both replicas answered
    record("rate_limits", {"web_replicas": len(prod_stack.web_ports), "per_customer_limit": RATE_PER_CUSTOMER,
                           "per_customer_accepted": codes[200], "per_ip_limit": RATE_PER_IP, "per_ip_accepted": per_ip[200],
                           "requests_per_replica": {k: v for k, v in used.items() if k}})


def test_login_throttling_holds_across_both_web_replicas(prod_stack: Any) -> None:
    from web.accounts import create_account

    create_account(prod_stack.app_settings, username="throttled", password=STAFF_PASSWORD)
    with client_from(next_address(), prod_stack.public_url, timeout=60) as client:
        codes = [login(client, "throttled", f"guess {n}").status_code for n in range(5)]
        assert codes == [401] * 5
        assert login(client, "throttled", STAFF_PASSWORD).status_code == 429  # whichever replica answers
    with client_from(next_address(), prod_stack.public_url, timeout=60) as elsewhere:
        assert login(elsewhere, "throttled", STAFF_PASSWORD).status_code == 303  # per (account, address)
