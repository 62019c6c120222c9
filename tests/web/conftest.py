"""Fixtures of the web tests: the real web app in front of the real Rasa + action servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from shop.settings import Settings

STAFF_PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class WebApp:
    """Where the running web app is, and the settings it was started with."""

    url: str
    settings: Settings


def login(client: httpx.Client, username: str, password: str) -> httpx.Response:
    """Log in through the form, as a browser does (login page first for the CSRF cookie + field)."""
    page = client.get("/console/login")
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    return client.post("/console/login", data={"username": username, "password": password, "csrf": csrf})


def csrf_of(client: httpx.Client) -> str:
    page = client.get("/console")
    return page.text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]


@pytest.fixture(scope="session")
def web_app(assistant_stack: object, catalog_settings: Settings) -> Iterator[WebApp]:
    """The web app as `make run` starts it (a subprocess of the stack), on a free port."""
    from shop.ops.stack import Stack

    assert isinstance(assistant_stack, Stack)
    server = assistant_stack.start_web()
    try:
        yield WebApp(url=f"http://127.0.0.1:{catalog_settings.web_port}", settings=catalog_settings)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def staff_accounts(web_app: WebApp) -> dict[str, str]:
    """Two staff accounts (alice, bob), created through the same code as the CLI."""
    from web.accounts import create_account

    for name in ("alice", "bob"):
        create_account(web_app.settings, username=name, password=STAFF_PASSWORD)
    return {"alice": STAFF_PASSWORD, "bob": STAFF_PASSWORD}


@pytest.fixture
def customer(web_app: WebApp) -> Iterator[httpx.Client]:
    """A fresh browser-like client: its own cookie jar, hence its own conversation."""
    with httpx.Client(base_url=web_app.url, timeout=60.0) as client:
        yield client


@pytest.fixture
def staff(web_app: WebApp, staff_accounts: dict[str, str]) -> Iterator[httpx.Client]:
    """alice, logged in; ``client.headers`` carries her CSRF token."""
    with httpx.Client(base_url=web_app.url, timeout=60.0) as client:
        response = login(client, "alice", staff_accounts["alice"])
        assert response.status_code == 303, response.text
        client.headers["X-CSRF-Token"] = csrf_of(client)
        yield client


@pytest.fixture(scope="session")
def login_as() -> Callable[[httpx.Client, str, str], httpx.Response]:
    """The form login of a browser, for tests that need several sessions."""
    return login


@pytest.fixture(scope="session")
def csrf_for() -> Callable[[httpx.Client], str]:
    """The CSRF token the console page hands a logged-in client."""
    return csrf_of


@pytest.fixture(scope="session")
def reviewer_account(web_app: WebApp) -> tuple[str, str]:
    """rita, who may correct and export (the reviewer role) but not answer customers."""
    from web.accounts import create_account

    create_account(web_app.settings, username="rita", password=STAFF_PASSWORD, roles=("reviewer",))
    return "rita", STAFF_PASSWORD


@pytest.fixture
def reviewer(web_app: WebApp, reviewer_account: tuple[str, str]) -> Iterator[httpx.Client]:
    """rita, logged in; ``client.headers`` carries her CSRF token."""
    with httpx.Client(base_url=web_app.url, timeout=60.0) as client:
        response = login(client, *reviewer_account)
        assert response.status_code == 303, response.text
        client.headers["X-CSRF-Token"] = csrf_of(client)
        yield client
