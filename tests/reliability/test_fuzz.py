"""Hostile and random input against production mode: the web app's customer APIs (the widget's and
the bearer-token API) and its staff console API through the published port, and Rasa's REST channel
on its internal address (with the token the web app uses). Over 10,000 messages reach the NLU.

Properties: no 5xx, every server still healthy afterwards, and no customer sees another's
conversation. Requests go out in concurrent batches (one hypothesis example = one batch; one
client's requests in order, as a browser sends them, each client from a loopback address of its
own, as customers on the internet are) and shrinking is off, so the run stays within minutes;
failures are reported with their inputs. Messages that reach the NLU (accepted free text) are
counted apart from the fixed intent payloads ("/greet"), which Rasa reads without the NLU, and the
count is checked against the tracker store. The totals are written to var/test-results/fuzz.json
(the load benchmark copies them).
"""

from __future__ import annotations

import json
import string
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from shop.settings import REPO_ROOT
from tests.reliability.conftest import client_from, next_address

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

BATCH, WORKERS = 25, 8
TALLY: Counter[str] = Counter()
FAILURES: list[str] = []
_tally_lock = threading.Lock()
HOSTILE = [
    "", " ", "\x00", "\x00\x01\x02\x1b[31mred\x7f", "\r\n\r\nHTTP/1.1 200 OK", "A" * 100_000, "👟" * 5000,
    "\u202eskcolb kcalb\u202c", "أريد حذاء أسود رخيص", "נעליים שחורות", "ZA̡͊͠͝LGΌ ISͮ̂҉̯͈͕̹̘̱ TO͇̹̺ͅƝ̴ȳ̳ TH̘Ë͖́̉ ͠P̯͍̭O̚N̐Y̡",
    "'; DROP TABLE events; --", "\" OR 1=1 --", "1; SELECT pg_sleep(10)", "<script>alert(document.cookie)</script>",
    "<img src=x onerror=alert(1)>", "javascript:alert(1)", "${jndi:ldap://x/a}", "{{7*7}}{% raw %}", "../../../../etc/passwd",
    "%00%0d%0a", "\ud83d", "/greet", "/greet{\"color\": \"red\"}", "/search_product{\"color\":\"black\",\"price_max\":\"1e309\"}",
    "/search_product{not json", "/nonexistent_intent", "/", "//", "/restart", "/session_start", "/request_human",
    "/add_to_cart{\"ordinal\":\"-99999999999999999999\"}", "/select_item{\"ordinal\": \"NaN\"}", "show me 10000000 shoes under -5 dollars",
]
PAYLOADS = ["/greet", "/thank", "/goodbye", "/affirm", "/deny", "/show_constraints", "/out_of_scope", "/feedback_positive"]
FAST = st.sampled_from(PAYLOADS)
TEXTS = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=120), st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
                  st.text(alphabet=string.ascii_letters + " ", min_size=1, max_size=60))
MESSAGES = st.one_of(FAST, TEXTS, TEXTS, TEXTS)  # mostly text for the NLU, a quarter fixed intent payloads
JUNK = st.one_of(st.none(), st.integers(), st.floats(allow_nan=False), st.booleans(), st.lists(st.integers(), max_size=3),
                 st.dictionaries(st.text(max_size=5), st.integers(), max_size=3))


def raw(body: bytes, content_type: str = "application/json") -> dict[str, Any]:
    return {"content": body, "headers": {"Content-Type": content_type}}


def rasa_body(victims: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    senders = st.one_of(st.just(f"fuzz-{uuid.uuid4().hex[:8]}"), st.sampled_from(victims), st.text(max_size=60),
                        st.sampled_from(["", "../../admin", "a" * 10_000, "null", "0", "web-" + "0" * 32]))
    valid = st.fixed_dictionaries({"sender": senders, "message": MESSAGES}).map(lambda b: {"json": b})
    typed = st.fixed_dictionaries({"sender": st.one_of(senders, JUNK), "message": st.one_of(MESSAGES, JUNK)}).map(lambda b: {"json": b})
    partial = st.dictionaries(st.sampled_from(["sender", "message", "metadata", "input_channel"]), st.one_of(TEXTS, JUNK), max_size=4)
    not_object = st.one_of(st.lists(st.integers(), max_size=3), st.integers(), st.text(max_size=20), st.none())
    broken = st.one_of(st.binary(max_size=300), st.sampled_from([b"{", b'{"sender": "x", "message": ', b"\xff\xfe{}", b"[]" * 5000]))
    return st.one_of(valid, valid, valid, typed, partial.map(lambda b: {"json": b}), not_object.map(lambda b: {"json": b}),
                     broken.map(raw), broken.map(lambda b: raw(b, "text/plain")))


def web_body() -> st.SearchStrategy[dict[str, Any]]:
    valid = st.fixed_dictionaries({"message": MESSAGES}, optional={"sender": st.text(max_size=40)}).map(lambda b: {"json": b})
    typed = st.fixed_dictionaries({"message": JUNK}).map(lambda b: {"json": b})
    broken = st.one_of(st.binary(max_size=200), st.just(b"{" * 1000)).map(raw)
    return st.one_of(valid, valid, valid, typed, broken)


Request = tuple[str, str, dict[str, Any]]
COOKIE_CHARS = set(string.ascii_letters + string.digits + "-_.")


def header_safe(value: str) -> str:
    """What a browser can send as a cookie value (HTTP forbids control characters in headers)."""
    return "".join(char for char in value if char in COOKIE_CHARS) or "-"


def encoded(kwargs: dict[str, Any]) -> dict[str, Any]:
    """JSON bodies serialised with escapes, as a browser's JSON.stringify sends lone surrogates."""
    if "json" not in kwargs:
        return kwargs
    rest = {k: v for k, v in kwargs.items() if k != "json"}
    return {**rest, "content": json.dumps(kwargs["json"]).encode(), "headers": {**rest.get("headers", {}), "Content-Type": "application/json"}}


def reaches_nlu(kwargs: dict[str, Any], status: int, strip: bool) -> bool:
    """An accepted message of free text (not a "/intent" payload, which Rasa reads without the NLU)."""
    message = kwargs.get("json", {}).get("message") if isinstance(kwargs.get("json"), dict) else None
    if status != 200 or not isinstance(message, str):
        return False
    text = message.strip() if strip else message
    return bool(text.strip()) and not text.startswith("/")


def send_lanes(lanes: list[tuple[httpx.Client, list[Request]]], target: str, *, strip: bool = True) -> None:
    """Each lane's requests in order (one client = one browser), the lanes concurrently.

    Counts messages, those that reached the NLU, and 5xx (with the input that caused it); a dropped
    connection counts as a 5xx. ``strip``: the target strips the text before Rasa sees it (the web app).
    """

    def lane(work: tuple[httpx.Client, list[Request]]) -> None:
        client, requests = work
        for method, path, kwargs in requests:
            try:
                status = client.request(method, path, **encoded(kwargs)).status_code
                kind = str(status)
            except httpx.LocalProtocolError:  # the test built a request no HTTP client may send
                raise
            except httpx.HTTPError as error:
                status, kind = 599, type(error).__name__
            with _tally_lock:
                TALLY["messages"] += 1
                TALLY[f"{target}.messages"] += 1
                if reaches_nlu(kwargs, status, strip):
                    TALLY["reached_nlu"] += 1
                    TALLY[f"{target}.reached_nlu"] += 1
                elif status == 200 and isinstance(kwargs.get("json"), dict) and str(kwargs["json"].get("message", "")).strip().startswith("/"):
                    TALLY["intent_payloads"] += 1
                if status == 429:
                    TALLY["rate_limited"] += 1
                if status >= 500:
                    TALLY["server_errors"] += 1
                    FAILURES.append(f"{target} {method} {path} -> {kind}: {str(kwargs)[:300]}")

    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(lane, lanes))


@pytest.fixture(scope="module")
def public(prod_stack: Any) -> Iterator[httpx.Client]:
    with client_from(next_address(), prod_stack.public_url, timeout=90.0) as client:
        yield client


@pytest.fixture(scope="module")
def victim(prod_stack: Any) -> Iterator[tuple[httpx.Client, str]]:
    """A web customer with a secret in their conversation, which nobody else may ever see."""
    marker = f"my secret code is {uuid.uuid4().hex}"
    with client_from(next_address(), prod_stack.public_url, timeout=90.0) as client:
        assert client.post("/api/chat/messages", json={"message": marker}).status_code == 200
        yield client, marker


def free_text_turns(stack: Any) -> int:
    """User events in the tracker store whose text is not an intent payload: messages the NLU read."""
    import psycopg

    # Parsed here, not by PostgreSQL's JSON operators: they refuse the NUL characters fuzzed texts hold.
    with psycopg.connect(stack.pg.url("rasa").replace("postgresql+psycopg://", "postgresql://")) as conn:
        texts = (json.loads(data).get("text") or "" for (data,) in conn.execute("SELECT data FROM events WHERE type_name = 'user'"))
        return sum(1 for text in texts if text and not text.startswith("/"))


@pytest.fixture(scope="module")
def nlu_baseline(prod_stack: Any) -> int:
    return free_text_turns(prod_stack)


@pytest.fixture()
def first_failure() -> int:
    """Where this test's server errors start in FAILURES, so that each test reports only its own."""
    return len(FAILURES)


@pytest.fixture(scope="module", autouse=True)
def report(prod_stack: Any, nlu_baseline: int) -> Iterator[None]:
    yield
    out = REPO_ROOT / "var" / "test-results" / "fuzz.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "messages": TALLY["messages"], "server_errors": TALLY["server_errors"],
        "reached_nlu": TALLY["reached_nlu"], "reached_nlu_in_tracker_store": free_text_turns(prod_stack) - nlu_baseline,
        "intent_payloads": TALLY["intent_payloads"], "rate_limited": TALLY["rate_limited"],
        "by_target": {k.split(".")[0]: v for k, v in TALLY.items() if k.endswith(".messages")},
        "reached_nlu_by_target": {k.split(".")[0]: v for k, v in TALLY.items() if k.endswith(".reached_nlu")},
        "first_failures": FAILURES[:10]}, indent=2) + "\n")


# Free text for the NLU: hostile samples, random unicode, and words.
NLU_TEXTS = st.one_of(st.sampled_from([h for h in HOSTILE if h.strip() and not h.startswith("/")]), st.text(min_size=1, max_size=120),
                      st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=40),
                      st.text(alphabet=string.ascii_letters + " ", min_size=3, max_size=60))


def odd_api_body() -> st.SearchStrategy[dict[str, Any]]:
    """Bodies the API must refuse cleanly: junk types, bad message ids, broken JSON, forged ids alongside."""
    ids = st.one_of(st.none(), st.text(max_size=70), st.sampled_from(["", "a b", "../x", "x" * 65]))
    odd = st.fixed_dictionaries({"message": st.one_of(MESSAGES, JUNK), "message_id": st.one_of(ids, JUNK)},
                                optional={"sender": st.text(max_size=40), "customer_id": st.just("web-" + "0" * 32)}).map(lambda b: {"json": b})
    broken = st.one_of(st.binary(max_size=200), st.just(b"{" * 1000)).map(raw)
    return st.one_of(odd, broken)


def message(text: str) -> Request:
    """A customer message with an id of its own (uuid4: hypothesis would repeat ids, which the API refuses as reused)."""
    return ("POST", "/api/v1/messages", {"json": {"message": text, "message_id": uuid.uuid4().hex, "sender": "victim-0"}})


@pytest.mark.timeout(3600)  # about 16,000 requests, 12,000 of them turns through the NLU: 10-30 minutes on two cores
@settings(max_examples=110, deadline=None, database=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_web_token_api(prod_stack: Any, victim: tuple[httpx.Client, str], first_failure: int, data: st.DataObject) -> None:
    """API customers (bearer tokens, another customer named in bodies) with random and hostile messages:
    per client 14 free-text messages for the NLU, 2 intent payloads and 2 bodies to refuse."""
    _, marker = victim
    lanes = []
    for _ in range(WORKERS):
        client = client_from(next_address(), prod_stack.public_url, timeout=90.0)
        issued = client.post("/api/v1/customers")
        assert issued.status_code == 201, issued.text
        token = issued.json()["token"]
        forged = data.draw(st.sampled_from([token, token[:-2] + "xx", "shop_" + "A" * 43, "", "web-" + "0" * 32]))
        client.headers["Authorization"] = f"Bearer {token}"
        requests = [message(text) for text in data.draw(st.lists(NLU_TEXTS, min_size=14, max_size=14))]
        requests += [message(text) for text in data.draw(st.lists(FAST, min_size=2, max_size=2))]
        requests += [("POST", "/api/v1/messages", body) for body in data.draw(st.lists(odd_api_body(), min_size=2, max_size=2))]
        requests.append(("GET", "/api/v1/history", {"headers": {"Authorization": f"Bearer {forged}".strip()}}))
        lanes.append((client, requests))
    try:
        send_lanes(lanes, "web_api")
        for client, _ in lanes:
            assert marker not in client.get("/api/v1/history").text, "an API customer saw the victim's conversation"
    finally:
        for client, _ in lanes:
            client.close()
    assert not FAILURES[first_failure:], FAILURES[first_failure:first_failure + 5]


@settings(max_examples=50, deadline=None, database=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_rasa_rest_channel_internal(prod_stack: Any, first_failure: int, data: st.DataObject) -> None:
    """Rasa's REST channel as the web app reaches it (internal address, token): hostile bodies never crash it."""
    victims = [f"victim-{i}" for i in range(3)]
    bodies = data.draw(st.lists(rasa_body(victims), min_size=BATCH, max_size=BATCH))
    keys = data.draw(st.lists(st.one_of(st.none(), st.uuids().map(str), st.sampled_from(["", "bad key", "x" * 80])), min_size=BATCH, max_size=BATCH))
    with httpx.Client(base_url=prod_stack.rasa_url, timeout=90.0, headers={"Authorization": f"Bearer {prod_stack.token}"}) as client:
        requests = []
        for body, key in zip(bodies, keys, strict=True):
            if key is not None:
                body = {**body, "headers": {**body.get("headers", {}), "Idempotency-Key": key}}
            requests.append((client, [("POST", "/webhooks/rest/webhook", body)]))
        send_lanes(requests, "rasa_internal", strip=False)
    assert not FAILURES[first_failure:], FAILURES[first_failure:first_failure + 5]


@settings(max_examples=120, deadline=None, database=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_web_customer_api(prod_stack: Any, victim: tuple[httpx.Client, str], first_failure: int, data: st.DataObject) -> None:
    """Strangers (forged or no cookies, a victim's id in the body) never reach the victim's conversation."""
    victim_client, marker = victim
    victim_cookie = victim_client.cookies.get("shop_customer") or ""
    forgeries = st.one_of(st.just(victim_cookie[:-2] + "xx"), st.just(victim_cookie.split(".")[0]), st.text(max_size=80),
                          st.just(""), st.just("web-" + "0" * 32))
    strangers = []
    for forged in data.draw(st.lists(forgeries, min_size=4, max_size=4)):
        stranger = client_from(next_address(), prod_stack.public_url, timeout=90.0)
        stranger.cookies.set("shop_customer", header_safe(forged))
        bodies = data.draw(st.lists(web_body(), min_size=5, max_size=5))
        strangers.append((stranger, [("POST", "/api/chat/messages", body) for body in bodies] + [("GET", "/api/chat/history", {})]))
    try:
        send_lanes(strangers, "web_customer")
        for stranger, _ in strangers:
            history = stranger.get("/api/chat/history")
            assert history.status_code < 500 and marker not in history.text, "a stranger saw the victim's conversation"
    finally:
        for stranger, _ in strangers:
            stranger.close()
    assert not FAILURES[first_failure:], FAILURES[first_failure:first_failure + 5]


@settings(max_examples=60, deadline=None, database=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_web_console_api(prod_stack: Any, staff: httpx.Client, victim: tuple[httpx.Client, str], first_failure: int,
                         data: st.DataObject) -> None:
    ids = st.one_of(st.text(min_size=1, max_size=60), st.sampled_from(["victim-0", "web-" + "0" * 32, "..", "%2e%2e", "a" * 5000]))
    kinds = st.sampled_from(["get", "claim", "message", "handback", "anonymous"])
    requests = []
    for kind, conversation, body in data.draw(st.lists(st.tuples(kinds, ids, web_body()), min_size=20, max_size=20)):
        path = f"/api/console/conversations/{quote(conversation, safe='')}"  # percent-encoded, as a browser sends it
        if kind == "get":
            requests.append(("GET", path, {}))
        elif kind == "anonymous":
            requests.append(("GET", "/api/console/handoffs", {"headers": {"Cookie": "console_session=forged"}}))
        else:
            requests.append(("POST", path + {"claim": "/claim", "message": "/messages", "handback": "/handback"}[kind], body))
    send_lanes([(staff, [request]) for request in requests], "web_console")
    assert not FAILURES[first_failure:], FAILURES[first_failure:first_failure + 5]


def test_everything_still_healthy_and_isolated(prod_stack: Any, public: httpx.Client, victim: tuple[httpx.Client, str],
                                               nlu_baseline: int) -> None:
    """After the fuzzing: every process alive and answering, the victim's conversation is only theirs,
    and more than 10,000 messages went through the NLU (counted in the tracker store)."""
    assert TALLY["messages"] >= 10_000, TALLY
    assert free_text_turns(prod_stack) - nlu_baseline >= 10_000, (free_text_turns(prod_stack) - nlu_baseline, TALLY)
    assert all(server.process.poll() is None for server in prod_stack.servers.values()), "a server crashed during fuzzing"
    assert public.get("/healthz").status_code == 200
    for port in prod_stack.rasa_ports:
        assert httpx.get(f"http://127.0.0.1:{port}/status", params={"token": prod_stack.token}, timeout=30).status_code == 200
    for port in prod_stack.action_ports:
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=30).status_code == 200
    for port in prod_stack.web_ports:
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=30).status_code == 200
    victim_client, marker = victim
    history = victim_client.get("/api/chat/history").json()["messages"]
    said = [m.get("text") for m in history if m.get("role") == "customer"]
    assert said == [marker], f"someone else's messages appeared in the victim's conversation: {said[:5]}"
    assert public.post("/api/chat/messages", json={"message": "hi"}).json()["messages"], "the bot stopped answering"
