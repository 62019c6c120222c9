"""The FastAPI application: state built once in the lifespan, routers per resource, clear errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import sessionmaker

from retrieval.store import make_engine
from shop.messages import TROUBLE_MESSAGE
from shop.settings import Settings, get_settings
from web.db import open_engine
from web.handoff_timer import run_handoff_timer
from web.limits import LimitsUnavailableError, LoginThrottle, RateLimiter, RedisCounters, counters_for
from web.live import live_hub_for
from web.rasa_client import RasaClient, RasaUnavailableError
from web.review_queue import scan_periodically
from web.routes import api, chat, console_api, console_pages, review_api, store
from web.security import CustomerIds
from web.state import WEB_DIR, AppState, LoginRequiredError
from web.turns import TurnBusyError, purge_periodically


def _validation_message(error: RequestValidationError) -> tuple[int, str]:
    """One sentence for people, plus the status: 400 for bodies that are not JSON, else 422."""
    errors = error.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return 400, "The request body is not valid JSON."
    parts = []
    for item in errors:
        field = ".".join(str(p) for p in item.get("loc", ()) if p != "body") or "body"
        message = str(item.get("msg", "is invalid")).removeprefix("Value error, ")
        parts.append(message if item.get("type") == "value_error" else f"{field}: {message}")
    return 422, "; ".join(parts) or "The request is invalid."


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the lifespan opens the database and the Rasa client and starts the handoff timer."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = open_engine(settings.resolved_database_url)
        tracker = make_engine(settings.resolved_tracker_url)
        rasa = RasaClient(settings.resolved_rasa_url, settings.resolved_rasa_token, settings.rasa_timeout)
        counters = counters_for(settings.redis_url)  # shared by every replica when Redis is configured
        live = live_hub_for(settings.redis_url)
        state = app.state.shop = AppState(
            settings=settings,
            engine=engine,
            sessions=sessionmaker(engine, expire_on_commit=False),
            rasa=rasa,
            live=live,
            customers=CustomerIds(settings.resolved_web_secret),
            throttle=LoginThrottle(counters=counters),
            templates=Jinja2Templates(directory=WEB_DIR / "templates"),
            limiter=RateLimiter(counters),
            tracker=tracker,
        )
        await live.start()
        tasks = [asyncio.create_task(run_handoff_timer(state), name="handoff-timer"),
                 asyncio.create_task(purge_periodically(state.sessions), name="answer-purge"),
                 asyncio.create_task(scan_periodically(state), name="review-scan")]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with suppress(asyncio.CancelledError):
                    await task
            await live.close()
            await rasa.close()
            tracker.dispose()
            if isinstance(counters, RedisCounters):
                counters.close()
            engine.dispose()

    app = FastAPI(title="Shopping assistant web", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        status, message = _validation_message(error)
        return JSONResponse({"detail": message}, status_code=status)

    @app.exception_handler(RasaUnavailableError)
    async def _rasa_down(_request: Request, _error: RasaUnavailableError) -> JSONResponse:
        return JSONResponse({"detail": TROUBLE_MESSAGE}, status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(LimitsUnavailableError)
    async def _limits_down(_request: Request, _error: LimitsUnavailableError) -> JSONResponse:
        # The shared counters are down: refuse rather than let unlimited traffic through.
        return JSONResponse({"detail": TROUBLE_MESSAGE}, status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(TurnBusyError)
    async def _busy(_request: Request, _error: TurnBusyError) -> JSONResponse:
        return JSONResponse({"detail": "Still working on your previous message; send it again in a moment."},
                            status_code=503, headers={"Retry-After": "2"})

    @app.exception_handler(LoginRequiredError)
    async def _login(_request: Request, _error: LoginRequiredError) -> RedirectResponse:
        return RedirectResponse("/console/login", status_code=302)

    app.include_router(store.router)
    app.include_router(chat.router)
    app.include_router(api.router)
    app.include_router(console_pages.router)
    app.include_router(console_api.router)
    app.include_router(review_api.router)
    return app
