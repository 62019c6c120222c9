"""Console pages: login, logout and the single-page console itself."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import delete, select

from handoff.models import utcnow
from web.deps import DbDep, StaffPageDep, StateDep, current_staff
from web.models import StaffAccount, StaffSession
from web.roles import REVIEWER, ROLES
from web.security import LOGIN_CSRF_COOKIE, STAFF_COOKIE, new_token, token_digest, tokens_match, verify_password

router = APIRouter(prefix="/console", tags=["console"])


def _login_page(request: Request, state: StateDep, *, error: str = "", status_code: int = 200, username: str = "") -> HTMLResponse:
    """The login form with a fresh double-submit CSRF token (cookie + hidden field)."""
    csrf = new_token()
    response = state.templates.TemplateResponse(request, "login.html", {"csrf": csrf, "error": error, "username": username}, status_code=status_code)
    response.set_cookie(LOGIN_CSRF_COOKIE, csrf, httponly=True, samesite="strict", secure=state.settings.web_secure_cookies, path="/console")
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, state: StateDep, db: DbDep) -> Response:
    if current_staff(request, db, lifetime_hours=state.settings.staff_session_hours):
        return RedirectResponse("/console", status_code=302)
    return _login_page(request, state)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    state: StateDep,
    db: DbDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    csrf: Annotated[str, Form(max_length=128)],
) -> Response:
    """Check the password (argon2), throttle repeated failures, start a server-side session."""
    if not tokens_match(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf):
        return _login_page(request, state, error="The form expired; please try again.", status_code=403, username=username)
    address = request.client.host if request.client else "unknown"
    wait = state.throttle.retry_after(username, address)
    if wait:
        minutes = max(1, round(wait / 60))
        return _login_page(request, state, error=f"Too many failed attempts. Try again in about {minutes} min.", status_code=429, username=username)
    account = db.scalar(select(StaffAccount).where(StaffAccount.username == username))
    if not verify_password(account.password_hash if account else None, password) or account is None:
        state.throttle.failed(username, address)
        return _login_page(request, state, error="Wrong username or password.", status_code=401, username=username)
    state.throttle.succeeded(username, address)
    db.execute(delete(StaffSession).where(StaffSession.expires_at < utcnow()))
    token = new_token()
    lifetime = timedelta(hours=state.settings.staff_session_hours)
    db.add(StaffSession(token_hash=token_digest(token), account_id=account.id, csrf_token=new_token(), expires_at=utcnow() + lifetime))
    db.commit()  # before the redirect: the browser's next request must find the session
    response = RedirectResponse("/console", status_code=303)
    response.set_cookie(
        STAFF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=state.settings.web_secure_cookies,
        max_age=int(lifetime.total_seconds()),
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/console")
    return response


@router.post("/logout")
def logout(request: Request, staff: StaffPageDep, db: DbDep, csrf: Annotated[str, Form(max_length=128)]) -> Response:
    if not tokens_match(staff.csrf_token, csrf):
        return Response("Missing or wrong CSRF token; reload the console.", status_code=403)
    token = request.cookies.get(STAFF_COOKIE, "")
    db.execute(delete(StaffSession).where(StaffSession.token_hash == token_digest(token)))
    db.commit()
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(STAFF_COOKIE, path="/")
    return response


@router.get("", response_class=HTMLResponse)
def console(request: Request, staff: StaffPageDep, state: StateDep) -> HTMLResponse:
    return state.templates.TemplateResponse(request, "console.html", {"staff": staff, "page": "handoffs", "roles": ROLES})


@router.get("/review", response_class=HTMLResponse)
def review(request: Request, staff: StaffPageDep, state: StateDep) -> HTMLResponse:
    """The review queue and its correction editor (reviewers only)."""
    if REVIEWER not in staff.roles:
        return state.templates.TemplateResponse(request, "console.html", {"staff": staff, "page": "forbidden", "roles": ROLES},
                                                status_code=403)
    return state.templates.TemplateResponse(request, "review.html", {"staff": staff, "page": "review", "roles": ROLES})
