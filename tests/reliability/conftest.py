"""Production mode (PostgreSQL, Redis, 2 Rasa replicas, 2 action workers, web app, nginx) for the
fault and fuzz tests, on its own ports and in a temporary folder, plus a customer that keeps score.

Started once per session (about 1-3 minutes on two cores): the fault tests break and repair it, the
fuzz tests then check that it is still whole.
"""

from __future__ import annotations

import shutil
import tempfile
import time
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
PUBLIC_PORT, SERVICE_PORT, PG_PORT, REDIS_PORT = 6440, 5440, 6442, 6443


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
        prod_lock_lifetime=10,
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
    """One conversation over the public REST channel; remembers every turn that was answered."""

    url: str
    sender: str
    answered: list[str] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)

    def say(self, text: str, *, retry_for: float = 0.0) -> list[dict[str, Any]]:
        """Send a turn; on an error retry (as the widget does) for up to ``retry_for`` seconds."""
        deadline = time.monotonic() + retry_for
        while True:
            try:
                response = httpx.post(f"{self.url}/webhooks/rest/webhook", json={"sender": self.sender, "message": text}, timeout=90)
                if response.status_code == 200:
                    self.answered.append(text)
                    messages: list[dict[str, Any]] = response.json()
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


def stored_user_texts(stack: Any, sender: str) -> list[str]:
    """The ``user`` events of a conversation, read straight from the PostgreSQL tracker store."""
    import json

    import psycopg

    with psycopg.connect(stack.pg.url("rasa").replace("postgresql+psycopg://", "postgresql://")) as conn:
        rows = conn.execute("SELECT data FROM events WHERE sender_id = %s AND type_name = 'user' ORDER BY id", (sender,))
        return [json.loads(data).get("text") or "" for (data,) in rows]


def assert_no_lost_turns(stack: Any, customer: Customer) -> None:
    """Every answered turn is a user event in the tracker store (with multiplicity)."""
    missing = Counter(customer.answered) - Counter(stored_user_texts(stack, customer.sender))
    assert not missing, f"turns answered but not in the tracker store: {dict(missing)}"


def slots(stack: Any, sender: str) -> dict[str, Any]:
    response = httpx.get(f"{stack.public_url}/conversations/{sender}/tracker", params={"token": stack.token}, timeout=30)
    response.raise_for_status()
    return dict(response.json().get("slots") or {})


@pytest.fixture(scope="session")
def staff(prod_stack: Any) -> Iterator[httpx.Client]:
    """A staff member logged in to the console of the production stack (CSRF header set)."""
    from tests.web.conftest import STAFF_PASSWORD, csrf_of, login
    from web.accounts import create_account

    create_account(prod_stack.app_settings, username="fuzz-staff", password=STAFF_PASSWORD)
    with httpx.Client(base_url=prod_stack.public_url, timeout=90.0) as client:
        assert login(client, "fuzz-staff", STAFF_PASSWORD).status_code == 303
        client.headers["X-CSRF-Token"] = csrf_of(client)
        yield client
