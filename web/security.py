"""Passwords, session tokens, signed customer ids and login throttling."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import defaultdict, deque

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeSerializer

CUSTOMER_COOKIE = "shop_customer"
STAFF_COOKIE = "console_session"
LOGIN_CSRF_COOKIE = "console_login_csrf"
CSRF_HEADER = "X-CSRF-Token"

_hasher = PasswordHasher()
# Verifying against this hash when the username is unknown keeps the timing of both failures alike.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; unknown users still pay for one verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the session table stores instead of the cookie value."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def tokens_match(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


class CustomerIds:
    """Random customer ids carried in a signed cookie: a browser can only ever be its own customer."""

    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeSerializer(secret, salt="shop-customer")

    def new(self) -> tuple[str, str]:
        """A fresh (customer id, cookie value)."""
        customer_id = "web-" + secrets.token_hex(16)
        return customer_id, self._serializer.dumps(customer_id)

    def read(self, cookie: str | None) -> str | None:
        """The customer id of a cookie, or None when absent or tampered with."""
        if not cookie:
            return None
        try:
            value = self._serializer.loads(cookie)
        except BadSignature:
            return None
        return value if isinstance(value, str) and value.startswith("web-") else None


class LoginThrottle:
    """At most ``limit`` failed logins per (username, client address) within ``window`` seconds.

    In memory on purpose: the web app runs as one process, and a restart forgetting failures is
    harmless next to argon2's cost per guess.
    """

    def __init__(self, limit: int = 5, window: float = 300.0) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        failures = self._failures[key]
        while failures and now - failures[0] > self.window:
            failures.popleft()
        return failures

    def retry_after(self, username: str, address: str) -> int:
        """Seconds until another attempt is allowed (0 = allowed now)."""
        now = time.monotonic()
        with self._lock:
            failures = self._recent((username.lower(), address), now)
            if len(failures) < self.limit:
                return 0
            return max(1, int(self.window - (now - failures[0])) + 1)

    def failed(self, username: str, address: str) -> None:
        with self._lock:
            self._failures[(username.lower(), address)].append(time.monotonic())

    def succeeded(self, username: str, address: str) -> None:
        with self._lock:
            self._failures.pop((username.lower(), address), None)
