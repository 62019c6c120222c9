"""Nobody claims a handoff: the customer is told, the bot carries on, the request stays in the console.

Real Rasa + action servers, and a second web app started with a 2 s handoff timeout (the session's
web app keeps the default, so the other handoff tests are never raced by its timer).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from shop.messages import HANDOFF_MESSAGE, HANDOFF_TIMEOUT_MESSAGE
from shop.settings import Settings
from web.security import CUSTOMER_COOKIE, CustomerIds

pytestmark = pytest.mark.slow
TIMEOUT = 2.0
DEADLINE = 30.0  # seconds any awaited event may take on a busy machine before the test fails
Login = Callable[[httpx.Client, str, str], httpx.Response]
Csrf = Callable[[httpx.Client], str]


@pytest.fixture(scope="module")
def quick_web(web_app: Any, catalog_settings: Settings) -> Iterator[str]:
    """A web app whose handoff timeout is 2 s, in front of the same Rasa, action server and database."""
    from shop.ops.stack import base_env, free_port, start_web

    settings = catalog_settings.model_copy(update={"web_port": free_port(), "handoff_timeout_seconds": TIMEOUT})
    server = start_web(settings, base_env(settings), log_name="web-quick-timeout.log")
    try:
        server.wait_ready(60)
        yield f"http://127.0.0.1:{settings.web_port}"
    finally:
        server.stop()


@pytest.fixture
def staff(quick_web: str, staff_accounts: dict[str, str], login_as: Login, csrf_for: Csrf) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=quick_web, timeout=60) as client:
        assert login_as(client, "alice", staff_accounts["alice"]).status_code == 303
        client.headers["X-CSRF-Token"] = csrf_for(client)
        yield client


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m["text"] for m in messages if m.get("text")]


def queued(staff: httpx.Client, conversation_id: str) -> dict[str, Any] | None:
    return next((h for h in staff.get("/api/console/handoffs").json() if h["conversation_id"] == conversation_id), None)


def wait_for_timeout(staff: httpx.Client, conversation_id: str) -> dict[str, Any]:
    """Poll the console until the handoff is marked timed out (at most DEADLINE seconds)."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        item = queued(staff, conversation_id)
        if item and item["timed_out_at"]:
            return item
        time.sleep(0.2)
    pytest.fail(f"no timeout recorded for {conversation_id} within {DEADLINE:.0f} s of a {TIMEOUT:.0f} s timeout")


def read_events(lines: Iterator[str], until: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    """SSE events from the stream until one matches ``until`` (at most DEADLINE seconds)."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + DEADLINE
    for line in lines:
        if line.startswith("data: "):
            seen.append(json.loads(line.removeprefix("data: ")))
            if until(seen[-1]):
                return seen
        if time.monotonic() > deadline:
            break
    pytest.fail(f"the stream did not deliver the awaited event within {DEADLINE:.0f} s; got {seen}")


def api(url: str, token: str, message: str) -> list[dict[str, Any]]:
    """One message of an API customer (no live stream: late messages come with the next answer)."""
    response = httpx.post(f"{url}/api/v1/messages", json={"message": message, "message_id": uuid.uuid4().hex},
                          headers={"Authorization": f"Bearer {token}"}, timeout=60)
    response.raise_for_status()
    answer: list[dict[str, Any]] = response.json()["messages"]
    return answer


def test_a_widget_customer_hears_nobody_is_free_and_the_bot_answers_again(quick_web: str, staff: httpx.Client, catalog_settings: Settings) -> None:
    with httpx.Client(base_url=quick_web, timeout=60) as customer:
        assert customer.post("/api/chat/messages", json={"message": "/greet"}).status_code == 200
        conversation = CustomerIds(catalog_settings.resolved_web_secret).read(customer.cookies.get(CUSTOMER_COOKIE))
        assert conversation
        with customer.stream("GET", "/api/chat/events", timeout=httpx.Timeout(60, read=DEADLINE)) as stream:
            lines = stream.iter_lines()
            assert next(lines) == ": connected"
            asked = customer.post("/api/chat/messages", json={"message": "/request_human"}).json()
            assert asked["handoff"] == "waiting" and HANDOFF_MESSAGE in texts(asked["messages"])
            asked_at = time.monotonic()
            pushed = read_events(lines, until=lambda e: e.get("type") == "handoff")
        assert time.monotonic() - asked_at >= TIMEOUT * 0.9
        assert pushed == [{"type": "message", "message": {"role": "bot", "text": HANDOFF_TIMEOUT_MESSAGE}},
                          {"type": "handoff", "status": "queued"}]

        history = customer.get("/api/chat/history").json()
        assert history["handoff"] == "queued" and HANDOFF_TIMEOUT_MESSAGE in texts(history["messages"])
        again = customer.post("/api/chat/messages", json={"message": "/greet"}).json()
        assert texts(again["messages"]) and HANDOFF_TIMEOUT_MESSAGE not in texts(again["messages"])  # pushed once, not repeated
        item = queued(staff, conversation)
        assert item is not None and item["status"] == "waiting" and item["timed_out_at"]

        # A member of staff who claims it later still takes over: the bot is paused again.
        assert staff.post(f"/api/console/conversations/{conversation}/claim").json()["claimed_by"] == "alice"
        paused = customer.post("/api/chat/messages", json={"message": "is anyone there?"}).json()
        assert paused == {"messages": [], "handoff": "active"}
        assert staff.post(f"/api/console/conversations/{conversation}/handback").status_code == 200


def test_an_api_customer_is_queued_told_nobody_is_free_and_gets_staff_replies(
    quick_web: str, staff: httpx.Client, catalog_settings: Settings
) -> None:
    issued = httpx.post(f"{quick_web}/api/v1/customers", timeout=60).json()
    token, sender = issued["token"], issued["customer_id"]

    def say(message: str) -> list[dict[str, Any]]:
        return api(quick_web, token, message)

    assert HANDOFF_MESSAGE in texts(say("/request_human"))
    item = queued(staff, sender)
    assert item is not None and item["status"] == "waiting" and item["timed_out_at"] is None

    wait_for_timeout(staff, sender)
    answer = texts(say("/greet"))
    assert answer[0] == HANDOFF_TIMEOUT_MESSAGE and len(answer) > 1, answer  # the notice first, then the bot's own answer
    again = texts(say("/greet"))
    assert again and HANDOFF_TIMEOUT_MESSAGE not in again  # delivered once
    item = queued(staff, sender)
    assert item is not None and item["status"] == "waiting" and item["timed_out_at"]
    detail = staff.get(f"/api/console/conversations/{sender}").json()
    assert HANDOFF_TIMEOUT_MESSAGE in texts(detail["messages"])

    assert staff.post(f"/api/console/conversations/{sender}/claim").status_code == 200
    assert say("hello?") == []  # paused again: staff hold the conversation
    assert staff.post(f"/api/console/conversations/{sender}/messages", json={"text": "Hi, Alice here."}).status_code == 201
    assert texts(say("I need a size M")) == ["Hi, Alice here."]
    assert staff.post(f"/api/console/conversations/{sender}/handback").status_code == 200
    back = texts(say("/greet"))
    assert back[0] == "Anything else I can help you find?" and len(back) > 1, back
