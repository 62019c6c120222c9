"""The web app's HTTP API against the real Rasa + action servers: auth, CSRF, throttling, isolation, errors."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from shop.messages import TROUBLE_MESSAGE
from shop.ops.stack import free_port
from shop.settings import Settings
from web.app import create_app
from web.security import CUSTOMER_COOKIE, CustomerIds

pytestmark = pytest.mark.slow
WebApp = Any  # the web_app fixture (tests/web/conftest.py)
Login = Callable[[httpx.Client, str, str], httpx.Response]
Csrf = Callable[[httpx.Client], str]
HOSTILE = '<img src=x onerror=alert(1)> <script>alert("x")</script>'


def customer_id(web_app: WebApp, client: httpx.Client) -> str:
    value = CustomerIds(web_app.settings.resolved_web_secret).read(client.cookies.get(CUSTOMER_COOKIE))
    assert value is not None
    return value


def texts(reply: dict, role: str | None = None) -> list[str]:
    return [m.get("text", "") for m in reply["messages"] if role is None or m.get("role") == role]


# ---------- staff authentication ----------


def test_console_pages_redirect_to_login(customer: httpx.Client) -> None:
    response = customer.get("/console")
    assert response.status_code == 302
    assert response.headers["location"] == "/console/login"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/console/handoffs"),
        ("GET", "/api/console/conversations/web-123"),
        ("POST", "/api/console/conversations/web-123/claim"),
        ("POST", "/api/console/conversations/web-123/messages"),
        ("POST", "/api/console/conversations/web-123/handback"),
        ("GET", "/api/console/conversations/web-123/events"),
    ],
)
def test_console_api_refuses_anonymous(customer: httpx.Client, method: str, path: str) -> None:
    response = customer.request(method, path, json={"text": "hi"})
    assert response.status_code == 401
    assert "Log in" in response.json()["detail"]


def test_login_sets_strict_http_only_session(web_app: WebApp, staff_accounts: dict[str, str], login_as: Login) -> None:
    with httpx.Client(base_url=web_app.url, timeout=60) as client:
        assert login_as(client, "alice", "wrong password").status_code == 401
        response = login_as(client, "alice", staff_accounts["alice"])
        assert response.status_code == 303
        cookie = response.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert client.get("/console").status_code == 200
        assert client.get("/api/console/handoffs").status_code == 200


def test_login_form_needs_its_csrf_token(web_app: WebApp, staff_accounts: dict[str, str]) -> None:
    with httpx.Client(base_url=web_app.url, timeout=60) as client:
        client.get("/console/login")
        forged = client.post("/console/login", data={"username": "alice", "password": staff_accounts["alice"], "csrf": "forged"})
        assert forged.status_code == 403
        assert "console_session" not in forged.headers.get("set-cookie", "")


def test_state_changes_need_the_csrf_header(staff: httpx.Client) -> None:
    token = staff.headers.pop("X-CSRF-Token")
    assert staff.post("/api/console/conversations/web-x/claim").status_code == 403
    assert staff.post("/api/console/conversations/web-x/claim", headers={"X-CSRF-Token": "wrong"}).status_code == 403
    # With the token the request gets through to the handoff check (nothing open there).
    assert staff.post("/api/console/conversations/web-x/claim", headers={"X-CSRF-Token": token}).status_code == 404


def test_logout_ends_the_session(web_app: WebApp, staff_accounts: dict[str, str], login_as: Login, csrf_for: Csrf) -> None:
    with httpx.Client(base_url=web_app.url, timeout=60) as client:
        login_as(client, "alice", staff_accounts["alice"])
        token = csrf_for(client)
        assert client.post("/console/logout", data={"csrf": token}).status_code == 303
        assert client.get("/api/console/handoffs").status_code == 401


def test_repeated_failures_are_throttled(web_app: WebApp, staff_accounts: dict[str, str], login_as: Login) -> None:
    from web.accounts import create_account

    create_account(web_app.settings, username="carol", password=staff_accounts["alice"])
    with httpx.Client(base_url=web_app.url, timeout=60) as client:
        codes = [login_as(client, "carol", f"guess {n}").status_code for n in range(5)]
        assert codes == [401] * 5
        blocked = login_as(client, "carol", staff_accounts["alice"])  # even the right password waits now
        assert blocked.status_code == 429
        assert "Too many failed attempts" in blocked.text
        assert login_as(client, "alice", staff_accounts["alice"]).status_code == 303  # other accounts are unaffected


# ---------- customers ----------


def test_customers_only_see_their_own_conversation(web_app: WebApp) -> None:
    with httpx.Client(base_url=web_app.url, timeout=60) as first, httpx.Client(base_url=web_app.url, timeout=60) as second:
        assert first.post("/api/chat/messages", json={"message": "hello there, first customer"}).status_code == 200
        first_id = customer_id(web_app, first)
        # An id in the body is ignored: the second browser still talks in its own conversation.
        reply = second.post("/api/chat/messages", json={"message": "hi from the second", "sender": first_id})
        assert reply.status_code == 200
        assert customer_id(web_app, second) != first_id
        first_history = texts(first.get("/api/chat/history").json(), "customer")
        second_history = texts(second.get("/api/chat/history").json(), "customer")
        assert "hello there, first customer" in first_history and "hi from the second" not in first_history
        assert second_history == ["hi from the second"]


def test_a_tampered_cookie_gets_a_fresh_conversation(web_app: WebApp, customer: httpx.Client) -> None:
    customer.post("/api/chat/messages", json={"message": "hello"})
    original = customer.cookies[CUSTOMER_COOKIE]
    forged = original[:-2] + ("AA" if not original.endswith("AA") else "BB")
    history = httpx.get(f"{web_app.url}/api/chat/history", headers={"Cookie": f"{CUSTOMER_COOKIE}={forged}"}, timeout=60)
    assert history.status_code == 200
    assert history.json()["messages"] == []
    fresh = history.cookies[CUSTOMER_COOKIE]
    assert fresh not in (original, forged)


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b'{"message": 5}', 422, "message"),
        (b"{}", 422, "message"),
        (b'["hello"]', 422, ""),
        (b'{"message": "   "}', 422, "Type a message first."),
        (b'{"message": "' + b"x" * 5001 + b'"}', 422, "limited to 5,000 characters"),
    ],
)
def test_malformed_messages_get_a_clear_4xx(customer: httpx.Client, body: bytes, status: int, detail: str) -> None:
    response = customer.post("/api/chat/messages", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == status
    assert detail in response.json()["detail"]


def test_html_is_stored_and_returned_as_data(customer: httpx.Client) -> None:
    assert customer.post("/api/chat/messages", json={"message": HOSTILE}).status_code == 200
    history = customer.get("/api/chat/history").json()
    assert HOSTILE in texts(history, "customer")
    assert customer.get("/api/chat/history").headers["content-type"].startswith("application/json")


def test_rasa_down_answers_503_quickly(catalog_settings: Settings) -> None:
    settings = catalog_settings.model_copy(update={"rasa_url": f"http://127.0.0.1:{free_port()}", "rasa_timeout": 3.0})
    with TestClient(create_app(settings)) as client:
        started = time.monotonic()
        response = client.post("/api/chat/messages", json={"message": "hello"})
        assert response.status_code == 503
        assert response.json()["detail"] == TROUBLE_MESSAGE
        assert client.get("/api/chat/history").status_code == 503
        assert time.monotonic() - started < 10


# ---------- handoff ----------


def test_handoff_claim_talk_and_hand_back(
    web_app: WebApp, customer: httpx.Client, staff: httpx.Client, staff_accounts: dict[str, str], login_as: Login, csrf_for: Csrf
) -> None:
    search = customer.post("/api/chat/messages", json={"message": '/search_product{"product_type": "tshirts"}'}).json()
    assert any((m.get("custom") or {}).get("type") == "product_cards" for m in search["messages"])
    reply = customer.post("/api/chat/messages", json={"message": "/request_human"}).json()
    assert reply["handoff"] == "waiting"
    conversation = customer_id(web_app, customer)
    queue = staff.get("/api/console/handoffs").json()
    assert {"conversation_id": conversation, "status": "waiting"}.items() <= next(h for h in queue if h["conversation_id"] == conversation).items()

    detail = staff.get(f"/api/console/conversations/{conversation}").json()
    assert detail["constraints"]["product_type"] == ["Tshirts"]
    assert detail["shown_products"] and all(p["product_type"] == "Tshirts" for p in detail["shown_products"])

    assert staff.post(f"/api/console/conversations/{conversation}/claim").json()["claimed_by"] == "alice"
    with httpx.Client(base_url=web_app.url, timeout=60) as bob:
        login_as(bob, "bob", staff_accounts["bob"])
        bob.headers["X-CSRF-Token"] = csrf_for(bob)
        assert bob.post(f"/api/console/conversations/{conversation}/claim").status_code == 409
        assert bob.post(f"/api/console/conversations/{conversation}/messages", json={"text": "me too"}).status_code == 409

    assert staff.post(f"/api/console/conversations/{conversation}/messages", json={"text": "Hi, Alice here. " + HOSTILE}).status_code == 201
    paused = customer.post("/api/chat/messages", json={"message": "thanks, I need a size M"}).json()
    assert paused["messages"] == [] and paused["handoff"] == "active"
    history = customer.get("/api/chat/history").json()["messages"]
    assert {"role": "staff", "staff": "alice", "text": "Hi, Alice here. " + HOSTILE}.items() <= history[-2].items()
    assert history[-1]["text"] == "thanks, I need a size M"

    back = staff.post(f"/api/console/conversations/{conversation}/handback")
    assert back.status_code == 200 and back.json()["status"] == "closed"
    assert customer.get("/api/chat/history").json()["messages"][-1]["text"] == "Anything else I can help you find?"
    again = customer.post("/api/chat/messages", json={"message": "/greet"}).json()
    assert again["handoff"] is None and texts(again)
    cheaper = customer.post("/api/chat/messages", json={"message": "/change_price"}).json()
    assert any("Tshirts" in text for text in texts(cheaper))  # the bot kept the context of before the handoff
    assert staff.post(f"/api/console/conversations/{conversation}/messages", json={"text": "late"}).status_code == 409


# ---------- one gate for every customer: exactly-once messages, API tokens, limits ----------


def user_events(web_app: WebApp, sender: str) -> list[dict[str, Any]]:
    """The customer's messages as Rasa stored them (read on Rasa's internal address, with its token)."""
    settings = web_app.settings
    tracker = httpx.get(f"{settings.resolved_rasa_url}/conversations/{sender}/tracker", params={"token": settings.resolved_rasa_token}, timeout=60)
    return [e for e in tracker.json()["events"] if e.get("event") == "user"]


def test_a_repeated_message_id_is_answered_once(web_app: WebApp, customer: httpx.Client) -> None:
    import threading

    first = customer.post("/api/chat/messages", json={"message": "/greet", "message_id": "msg-1"})
    again = customer.post("/api/chat/messages", json={"message": "/greet", "message_id": "msg-1"})
    assert first.status_code == again.status_code == 200 and again.json() == first.json()
    # Three copies at once (a retry storm): they wait for one run and share its answer.
    replies: list[httpx.Response] = []
    cookies = dict(customer.cookies)
    sends = [threading.Thread(target=lambda: replies.append(httpx.post(f"{web_app.url}/api/chat/messages", cookies=cookies, timeout=60,
                                                                       json={"message": "/thank", "message_id": "msg-2"})))
             for _ in range(3)]
    for send in sends:
        send.start()
    for send in sends:
        send.join()
    assert [r.status_code for r in replies] == [200] * 3 and len({r.text for r in replies}) == 1
    ids = [e["message_id"] for e in user_events(web_app, customer_id(web_app, customer))]
    assert ids == ["msg-1", "msg-2"], ids
    reused = customer.post("/api/chat/messages", json={"message": "something else", "message_id": "msg-1"})
    assert reused.status_code == 409 and "already used" in reused.json()["detail"]
    assert customer.post("/api/chat/messages", json={"message": "hi", "message_id": "bad id!"}).status_code == 422


def test_api_customers_hold_a_bearer_token_stored_only_as_a_hash(web_app: WebApp) -> None:
    from sqlalchemy import create_engine, text

    issued = httpx.post(f"{web_app.url}/api/v1/customers", timeout=60)
    assert issued.status_code == 201
    token, customer = issued.json()["token"], issued.json()["customer_id"]
    assert token.startswith("shop_") and customer.startswith("api-")
    auth = {"Authorization": f"Bearer {token}"}
    # A sender in the body is ignored: the token alone names the conversation.
    reply = httpx.post(f"{web_app.url}/api/v1/messages", headers=auth, timeout=60,
                       json={"message": "hello from the api", "message_id": "a-1", "sender": "web-" + "0" * 32})
    assert reply.status_code == 200 and reply.json()["messages"]
    assert [e["text"] for e in user_events(web_app, customer)] == ["hello from the api"]
    history = httpx.get(f"{web_app.url}/api/v1/history", headers=auth, timeout=60).json()
    assert [m["text"] for m in history["messages"] if m["role"] == "customer"] == ["hello from the api"]
    for bad in ({}, {"Authorization": "Bearer shop_forged"}, {"Authorization": token}):
        refused = httpx.post(f"{web_app.url}/api/v1/messages", headers=bad, json={"message": "hi"}, timeout=60)
        assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"
    engine = create_engine(web_app.settings.resolved_database_url)
    with engine.connect() as connection:
        stored = [tuple(row) for row in connection.execute(text("SELECT token_hash, customer_id FROM api_customers"))]
    engine.dispose()
    assert (hashlib_hex(token), customer) in stored and all(token not in row for row in stored)


def hashlib_hex(token: str) -> str:
    import hashlib

    return hashlib.sha256(token.encode()).hexdigest()


def test_rate_limits_per_customer_and_per_address(catalog_settings: Settings) -> None:
    settings = catalog_settings.model_copy(update={"rate_per_customer": 3, "rate_per_ip": 5, "new_customers_per_ip_hour": 2})
    app = create_app(settings)
    with TestClient(app) as first:
        second = TestClient(app)  # another browser (its own cookie) from the same address
        codes = [first.post("/api/chat/messages", json={"message": "/greet"}).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]  # the customer's share
        limited = first.post("/api/chat/messages", json={"message": "/greet"})
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0 and "wait" in limited.json()["detail"]
        # The address has sent 5 now: another customer from it gets nothing more this window.
        assert second.post("/api/chat/messages", json={"message": "/greet"}).status_code == 429
        assert [first.post("/api/v1/customers").status_code for _ in range(3)] == [201, 201, 429]


def test_rasa_is_internal_and_takes_its_token_from_the_environment(web_app: WebApp, assistant_stack: Any) -> None:
    """Its REST channel refuses callers without the token; browsers may call it from the web app's origin only;
    and no command line shows the token."""
    from pathlib import Path

    settings = web_app.settings
    rasa = settings.resolved_rasa_url
    refused = httpx.post(f"{rasa}/webhooks/rest/webhook", json={"sender": "x", "message": "hi"}, timeout=60)
    assert refused.status_code == 401
    wrong = httpx.post(f"{rasa}/webhooks/rest/webhook", json={"sender": "x", "message": "hi"}, headers={"Authorization": "Bearer no"}, timeout=60)
    assert wrong.status_code == 401
    allowed = httpx.post(f"{rasa}/webhooks/rest/webhook", json={"sender": "internal-tool", "message": "/greet"},
                         headers={"Authorization": f"Bearer {settings.resolved_rasa_token}"}, timeout=60)
    assert allowed.status_code == 200 and allowed.json()
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    evil = httpx.options(f"{rasa}/webhooks/rest/webhook", headers={"Origin": "https://evil.example", **preflight}, timeout=60)
    assert evil.headers.get("access-control-allow-origin") in (None, "")
    ours = httpx.options(f"{rasa}/webhooks/rest/webhook", headers={"Origin": web_app.url, **preflight}, timeout=60)
    assert ours.headers.get("access-control-allow-origin") == web_app.url
    for server in assistant_stack.servers:
        command = Path(f"/proc/{server.process.pid}/cmdline").read_bytes()
        assert settings.resolved_rasa_token.encode() not in command, f"{server.name} shows Rasa's token on its command line"


def test_the_store_page_shows_the_configured_catalog_only(web_app: WebApp, customer: httpx.Client) -> None:
    import csv
    from collections import Counter

    from retrieval.ingest import ingest
    from retrieval.presentation import format_price

    settings = web_app.settings
    with settings.catalog_path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    kinds = Counter(r["product_type"] for r in rows).most_common()
    other = settings.var_dir / "other.yml"  # a second catalog in the same database must not reach this store
    other.write_text(settings.catalog_mapping.read_text(encoding="utf-8").replace("name: demo", "name: other"), encoding="utf-8")
    other_csv = settings.var_dir / "other.csv"
    other_csv.write_text("id,title,master_category,sub_category,product_type,colour,gender,brand,price,currency,season,usage,sizes,year\n"
                         + "".join(f"o{i},Teak Garden Bench {i},Home,Furniture,Garden Benches,Brown,Unisex,Teakco,499,USD,,,,2020\n" for i in range(60)),
                         encoding="utf-8")
    ingest(settings, catalog_path=other_csv, mapping_path=other)
    try:
        page = customer.get("/").text
    finally:  # the other tests see the one catalog again
        from sqlalchemy import delete

        from retrieval.models import ProductRow
        from retrieval.store import make_engine, session_scope

        with session_scope(make_engine(settings.resolved_database_url)) as session:
            session.execute(delete(ProductRow).where(ProductRow.catalog == "other"))
    assert "Garden Bench" not in page and "Garden Benches" not in page
    shelves = [h.split("<small>")[0].split(">")[-1].strip() for h in page.split('<h2 id="shelf-')[1:]]
    assert shelves[:3] == [name for name, _ in kinds[:3]], shelves
    assert f"{kinds[0][0].lower()}" in page.split('class="hero"')[1].split("</section>")[0].lower()
    first = next(r for r in rows if r["product_type"] == kinds[0][0])
    assert format_price(type("Row", (), {"price": float(first["price"]), "currency": first["currency"]})()) in page
