"""Production mode (PostgreSQL, Redis, 2 Rasa replicas, 2 action workers, 2 web apps, nginx) for the
fault, security and fuzz tests, on its own ports and in a temporary folder, plus a customer that
keeps score.

Started once per session (about 1-3 minutes on two cores): the fault tests break and repair it, the
security and fuzz tests then check that it is still whole. Customers come in through the published
port only, each from an address of its own in 127.0.0.0/8 (all of it is this machine's loopback), as
customers on the internet do: the per-address rate limit then counts each of them separately.
"""

from __future__ import annotations

import itertools
import json
import shutil
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from shop.settings import REPO_ROOT, Settings
from tests.conftest import DEMO_MAPPING, write_catalog_subset

# Ports of the reliability stack (distinct from `make prod`, so both can run on one machine).
# nginx takes PUBLIC_PORT and the next two; the replicas SERVICE_PORT + 1.. (Rasa), + 11.. (actions), + 20.. (web).
PUBLIC_PORT, SERVICE_PORT, PG_PORT, REDIS_PORT = 6440, 5440, 6444, 6445
# Rate limits of the reliability stack (tests/reliability/test_security.py checks they hold).
RATE_PER_CUSTOMER, RATE_PER_IP, RATE_WINDOW = 30, 60, 60.0
LOCK_LIFETIME = 10  # a replica killed mid-turn blocks its conversation this long
TURN_TIMEOUT = 12.0  # nginx asks the other Rasa replica after this long (above LOCK_LIFETIME, as in the defaults)
RESULTS = REPO_ROOT / "var" / "test-results"
_addresses = itertools.count(1)
_address_lock = threading.Lock()


def next_address() -> str:
    """A loopback address no other client of this session used (127.1.0.1, 127.1.0.2, ...)."""
    with _address_lock:
        n = next(_addresses)
    return f"127.{1 + n // 65025}.{n // 255 % 255}.{n % 255 + 1}"


def client_from(address: str, base_url: str, **kwargs: Any) -> httpx.Client:
    """An HTTP client whose connections leave from ``address``."""
    return httpx.Client(base_url=base_url, transport=httpx.HTTPTransport(local_address=address), **kwargs)


def record(name: str, figures: dict[str, Any]) -> None:
    """Merge figures into var/test-results/<name>.json (the load benchmark copies them into load.json)."""
    path = RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    current = json.loads(path.read_text()) if path.exists() else {}
    current.update(figures)
    path.write_text(json.dumps(current, indent=2) + "\n")


@pytest.fixture(scope="session")
def prod_stack(trained_model: Path) -> Iterator[Any]:
    """The real production topology over a fifth of the demo catalog."""
    from shop.ops.prod import ProdStack

    # Not under pytest's tmp folder: it is private to root, and PostgreSQL runs as the postgres user.
    var_dir = Path(tempfile.mkdtemp(prefix="shop-prod-"))
    var_dir.chmod(0o755)
    settings = Settings(
        var_dir=var_dir, catalog_path=write_catalog_subset(var_dir / "catalog.csv"), catalog_mapping=DEMO_MAPPING,
        prod_port=PUBLIC_PORT, prod_service_port=SERVICE_PORT, prod_pg_port=PG_PORT, prod_redis_port=REDIS_PORT,
        prod_lock_lifetime=LOCK_LIFETIME, prod_turn_timeout=TURN_TIMEOUT,
        rate_per_customer=RATE_PER_CUSTOMER, rate_per_ip=RATE_PER_IP, rate_window_seconds=RATE_WINDOW,
    )
    try:
        with ProdStack(settings=settings, model=trained_model, web=True, durable=False) as stack:
            yield stack
    finally:  # keep the logs (JSON lines of nginx, actions, web; Rasa's text log) for a failed run
        kept = REPO_ROOT / "var" / "test-results" / "prod-logs"
        shutil.rmtree(kept, ignore_errors=True)
        shutil.copytree(var_dir / "logs", kept, dirs_exist_ok=True)
        shutil.rmtree(var_dir, ignore_errors=True)


@dataclass
class Customer:
    """An API customer of the published port, from an address of its own; remembers every answered turn."""

    url: str
    address: str = field(default_factory=next_address)
    token: str = ""
    sender: str = ""  # the conversation id the web app gave this customer
    answered: list[str] = field(default_factory=list)
    answered_ids: list[str] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        with client_from(self.address, self.url, timeout=60) as client:
            issued = client.post("/api/v1/customers")
        assert issued.status_code == 201, issued.text
        self.token, self.sender = issued.json()["token"], issued.json()["customer_id"]

    def send(self, text: str, message_id: str, timeout: float = 90) -> httpx.Response:
        with client_from(self.address, self.url, timeout=timeout) as client:
            return client.post("/api/v1/messages", json={"message": text, "message_id": message_id},
                               headers={"Authorization": f"Bearer {self.token}"})

    def say(self, text: str, *, retry_for: float = 0.0, message_id: str | None = None) -> list[dict[str, Any]]:
        """Send a turn; on an error send it again with the same id (as the widget does) for up to ``retry_for`` seconds."""
        message_id = message_id or uuid.uuid4().hex
        deadline = time.monotonic() + retry_for
        while True:
            try:
                response = self.send(text, message_id)
                if response.status_code == 200:
                    if message_id not in self.answered_ids:  # a repeat of an answered message is no new turn
                        self.answered.append(text)
                        self.answered_ids.append(message_id)
                    messages: list[dict[str, Any]] = response.json()["messages"]
                    return messages
                self.failures[f"http_{response.status_code}"] += 1
            except httpx.HTTPError as error:
                self.failures[type(error).__name__] += 1
            if time.monotonic() >= deadline:
                raise AssertionError(f"turn {text!r} of {self.sender} not answered; failures so far: {dict(self.failures)}")
            time.sleep(0.5)


def texts(messages: list[dict[str, Any]]) -> str:
    """Everything a customer would read in one answer (text and product-card payloads)."""
    return " ".join(str(m.get("text") or "") + " " + str(m.get("custom") or "") for m in messages)


def _pg(stack: Any, database: str) -> Any:
    import psycopg

    return psycopg.connect(stack.pg.url(database).replace("postgresql+psycopg://", "postgresql://"))


def stored_user_events(stack: Any, sender: str) -> list[dict[str, Any]]:
    """The ``user`` events of a conversation, read straight from the PostgreSQL tracker store."""
    with _pg(stack, "rasa") as conn:
        rows = conn.execute("SELECT data FROM events WHERE sender_id = %s AND type_name = 'user' ORDER BY id", (sender,))
        return [json.loads(data) for (data,) in rows]


def stored_user_texts(stack: Any, sender: str) -> list[str]:
    return [event.get("text") or "" for event in stored_user_events(stack, sender)]


def assert_no_lost_turns(stack: Any, customer: Customer) -> None:
    """Every answered turn is a user event in the tracker store (with multiplicity)."""
    missing = Counter(customer.answered) - Counter(stored_user_texts(stack, customer.sender))
    assert not missing, f"turns answered but not in the tracker store: {dict(missing)}"


def doubled_turns(stack: Any, sender: str) -> int:
    """Turns stored twice: a customer message id on more than one user event, or any event stored twice
    (same type, timestamp and content)."""
    with _pg(stack, "rasa") as conn:
        rows = conn.execute("SELECT type_name, data FROM events WHERE sender_id = %s ORDER BY id", (sender,)).fetchall()
    ids = Counter(json.loads(data).get("message_id") for type_name, data in rows if type_name == "user")
    same = Counter((type_name, data) for type_name, data in rows)
    return sum(n - 1 for key, n in ids.items() if key) + sum(n - 1 for n in same.values())


def doubled_side_effects(stack: Any, sender: str) -> int:
    """Feedback and cart rows stored twice for one message (or turn), and handoffs queued twice for one message."""
    with _pg(stack, "shop") as conn:
        feedback = conn.execute(
            "SELECT count(*) - count(DISTINCT (conversation_id, turn, kind, product_id)) FROM feedback_events WHERE customer_id = %s",
            (sender,)).fetchone()[0]
        by_message = conn.execute(
            "SELECT count(message_id) - count(DISTINCT (conversation_id, message_id, kind, product_id)) FROM feedback_events "
            "WHERE customer_id = %s AND message_id IS NOT NULL AND message_id NOT LIKE 'turn-%%'", (sender,)).fetchone()[0]
        handoffs = conn.execute(
            "SELECT count(message_id) - count(DISTINCT message_id) FROM handoffs WHERE conversation_id = %s", (sender,)).fetchone()[0]
    return int(feedback) + int(by_message) + int(handoffs)


def side_effect_rows(stack: Any, sender: str, kind: str) -> int:
    with _pg(stack, "shop") as conn:
        return int(conn.execute("SELECT count(*) FROM feedback_events WHERE customer_id = %s AND kind = %s", (sender, kind)).fetchone()[0])


def slots(stack: Any, sender: str) -> dict[str, Any]:
    """The conversation's slots, from Rasa's API on its internal address (with the token)."""
    response = httpx.get(f"{stack.rasa_url}/conversations/{sender}/tracker", params={"token": stack.token}, timeout=30)
    response.raise_for_status()
    return dict(response.json().get("slots") or {})


@pytest.fixture(scope="session")
def staff(prod_stack: Any) -> Iterator[httpx.Client]:
    """A staff member logged in to the console of the production stack (CSRF header set)."""
    from tests.web.conftest import STAFF_PASSWORD, csrf_of, login
    from web.accounts import create_account

    create_account(prod_stack.app_settings, username="fuzz-staff", password=STAFF_PASSWORD)
    with client_from(next_address(), prod_stack.public_url, timeout=90.0) as client:
        assert login(client, "fuzz-staff", STAFF_PASSWORD).status_code == 303
        client.headers["X-CSRF-Token"] = csrf_of(client)
        yield client
