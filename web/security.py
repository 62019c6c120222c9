"""Passwords, session tokens, signed customer ids, API customer tokens (login throttling: ``web.limits``)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeSerializer

from web.limits import LoginThrottle

__all__ = ["LoginThrottle"]  # re-exported: the login throttle used to live here

CUSTOMER_COOKIE = "shop_customer"
STAFF_COOKIE = "console_session"
LOGIN_CSRF_COOKIE = "console_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
# Bearer tokens of API customers start with this, so a leaked one is easy to recognise (and to scan for).
API_TOKEN_PREFIX = "shop_"

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


def new_api_token() -> str:
    """A bearer token for an API customer; only its ``token_digest`` is stored."""
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_api_customer_id() -> str:
    """The conversation id of an API customer (never chosen by the client)."""
    return "api-" + secrets.token_hex(16)
