"""Dependencies of the routes, as ``Annotated`` aliases (``StateDep``, ``DbDep``, ``StaffDep`` ...)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.models import as_utc, utcnow
from web.db import session_scope
from web.models import ApiCustomer, StaffAccount, StaffSession
from web.roles import AGENT, REVIEWER, parse_roles
from web.security import API_TOKEN_PREFIX, CSRF_HEADER, CUSTOMER_COOKIE, STAFF_COOKIE, token_digest, tokens_match
from web.state import AppState, LoginRequiredError


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.shop
    return state


StateDep = Annotated[AppState, Depends(get_state)]


def get_db(state: StateDep) -> Iterator[Session]:
    """One session per request. Routes that write commit before answering: the teardown of a
    ``yield`` dependency may run after the response is sent, too late for the client's next request."""
    with session_scope(state.sessions) as session:
        yield session


DbDep = Annotated[Session, Depends(get_db)]


def customer_cookie_kwargs(state: AppState) -> dict[str, object]:
    return {"httponly": True, "samesite": "lax", "secure": state.settings.web_secure_cookies, "max_age": 30 * 24 * 3600, "path": "/"}


def get_or_create_customer(request: Request, response: Response, state: StateDep) -> str:
    """The customer id of this browser, minting a signed cookie on the first visit.

    Any id in a request body is ignored: the cookie is the only way to name a conversation.
    """
    customer_id = state.customers.read(request.cookies.get(CUSTOMER_COOKIE))
    if customer_id is None:
        customer_id, cookie = state.customers.new()
        response.set_cookie(CUSTOMER_COOKIE, cookie, **customer_cookie_kwargs(state))  # type: ignore[arg-type]
    return customer_id


def get_existing_customer(request: Request, state: StateDep) -> str:
    """For streams: a browser without a valid cookie has no conversation to listen to."""
    customer_id = state.customers.read(request.cookies.get(CUSTOMER_COOKIE))
    if customer_id is None:
        raise HTTPException(status_code=401, detail="No conversation yet: load the chat history first.")
    return customer_id


def get_api_customer(request: Request, state: StateDep) -> str:
    """The customer an API client's bearer token stands for (``POST /api/v1/customers`` issues tokens).

    Any customer or sender id in a request body is ignored: the token is the only way to name a
    conversation through the API, as the cookie is for the widget.
    """
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(API_TOKEN_PREFIX) or len(token) > 128:
        raise HTTPException(status_code=401, detail="Send your customer token as 'Authorization: Bearer shop_...' "
                            "(POST /api/v1/customers issues one).", headers={"WWW-Authenticate": "Bearer"})
    with session_scope(state.sessions) as db:
        customer_id = db.scalar(select(ApiCustomer.customer_id).where(ApiCustomer.token_hash == token_digest(token)))
    if customer_id is None:
        raise HTTPException(status_code=401, detail="Unknown customer token.", headers={"WWW-Authenticate": "Bearer"})
    return customer_id


def client_address(request: Request) -> str:
    """The client's address: the peer, or what a trusted proxy (nginx, the ingress) says it is.

    uvicorn already replaces the peer by the X-Forwarded-For of the proxies in
    ``SHOP_WEB_FORWARDED_ALLOW_IPS``; nobody else can set it.
    """
    return request.client.host if request.client else "unknown"


CustomerDep = Annotated[str, Depends(get_or_create_customer)]
ExistingCustomerDep = Annotated[str, Depends(get_existing_customer)]
ApiCustomerDep = Annotated[str, Depends(get_api_customer)]


@dataclass(frozen=True)
class Staff:
    """The member of staff behind a console request."""

    username: str
    csrf_token: str
    roles: frozenset[str] = frozenset()


def current_staff(request: Request, db: Session, *, lifetime_hours: float) -> Staff | None:
    """The staff session of the cookie, if valid and not expired (expired rows are deleted)."""
    token = request.cookies.get(STAFF_COOKIE)
    if not token:
        return None
    row = db.get(StaffSession, token_digest(token))
    if row is None:
        return None
    if as_utc(row.expires_at) <= utcnow():
        db.delete(row)
        return None
    account = db.execute(select(StaffAccount.username, StaffAccount.roles).where(StaffAccount.id == row.account_id)).first()
    if account is None:
        return None
    username, roles = account
    # Sliding expiry, refreshed at most every few minutes of activity.
    renewed = utcnow() + timedelta(hours=lifetime_hours)
    if renewed - as_utc(row.expires_at) > timedelta(minutes=5):
        row.expires_at = renewed
    return Staff(username=username, csrf_token=row.csrf_token, roles=parse_roles(roles))


def require_staff_api(request: Request, state: StateDep) -> Staff:
    # A session of its own, closed at once: event streams must not hold a connection for hours.
    with session_scope(state.sessions) as db:
        staff = current_staff(request, db, lifetime_hours=state.settings.staff_session_hours)
    if staff is None:
        raise HTTPException(status_code=401, detail="Log in to the console first.")
    return staff


def require_staff_page(request: Request, state: StateDep, db: DbDep) -> Staff:
    staff = current_staff(request, db, lifetime_hours=state.settings.staff_session_hours)
    if staff is None:
        raise LoginRequiredError()
    return staff


StaffDep = Annotated[Staff, Depends(require_staff_api)]
StaffPageDep = Annotated[Staff, Depends(require_staff_page)]


def require_csrf(request: Request, staff: StaffDep) -> Staff:
    """State-changing console calls must echo the session's CSRF token in a header."""
    if not tokens_match(staff.csrf_token, request.headers.get(CSRF_HEADER)):
        raise HTTPException(status_code=403, detail="Missing or wrong CSRF token; reload the console.")
    return staff


CsrfStaffDep = Annotated[Staff, Depends(require_csrf)]


def _role_check(role: str) -> Callable[[Staff], Staff]:
    """A dependency that lets through only staff with ``role`` (403 with how to get it otherwise)."""

    def check(staff: CsrfStaffDep) -> Staff:
        if role not in staff.roles:
            raise HTTPException(status_code=403, detail=f"This needs the {role} role; an administrator grants it with "
                                f"`make staff-account NAME={staff.username} ROLE={role}`.")
        return staff

    return check


def require_reviewer_read(staff: StaffDep) -> Staff:
    """Reading the review queue: customers' words, so reviewers only."""
    if REVIEWER not in staff.roles:
        raise HTTPException(status_code=403, detail=f"The review queue needs the {REVIEWER} role.")
    return staff


AgentDep = Annotated[Staff, Depends(_role_check(AGENT))]
ReviewerDep = Annotated[Staff, Depends(_role_check(REVIEWER))]
ReviewerReadDep = Annotated[Staff, Depends(require_reviewer_read)]
