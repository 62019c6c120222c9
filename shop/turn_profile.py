"""Where a turn's milliseconds go: per-request stage timings, off unless ``SHOP_TURN_PROFILE`` names a file.

Why our own timer and not only a sampling profiler: a flame graph (py-spy) shows where CPU goes,
but not which share of a customer's wait is the lock, the tracker store or the HTTP hop to the
action server, and it cannot add stages up per turn. Here each server process (Rasa in
``bot/turn_profile.py``, the action server in ``actions/turn_profile.py``) wraps the functions that
make up a turn; every request then writes one JSON line with the *exclusive* milliseconds of each
stage (a stage's time minus the stages nested in it), so the stages of a request add up to its
total and ``benchmarks/turn_cost.py`` can lay a turn out as a table.

Timing costs about a microsecond per wrapped call; nothing is wrapped when the variable is unset.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROFILE_VARIABLE = "SHOP_TURN_PROFILE"
UNACCOUNTED = "other"  # the request's own time outside every wrapped stage


@dataclass
class _Frame:
    stage: str
    started: float
    nested: float = 0.0


@dataclass
class RequestTimings:
    """The stages of one request; a stack of open stages turns inclusive times into exclusive ones."""

    kind: str
    started: float = field(default_factory=time.perf_counter)
    stages: dict[str, float] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    stack: list[_Frame] = field(default_factory=list)

    def enter(self, stage: str) -> None:
        self.stack.append(_Frame(stage, time.perf_counter()))

    def leave(self) -> None:
        if not self.stack:
            return
        frame = self.stack.pop()
        elapsed = time.perf_counter() - frame.started
        self.stages[frame.stage] = self.stages.get(frame.stage, 0.0) + elapsed - frame.nested
        self.calls[frame.stage] = self.calls.get(frame.stage, 0) + 1
        if self.stack:
            self.stack[-1].nested += elapsed

    def as_record(self, **fields: Any) -> dict[str, Any]:
        total = time.perf_counter() - self.started
        stages_ms = {stage: round(seconds * 1000, 3) for stage, seconds in self.stages.items()}
        stages_ms[UNACCOUNTED] = round((total - sum(self.stages.values())) * 1000, 3)
        return {"kind": self.kind, "pid": os.getpid(), "total_ms": round(total * 1000, 3), "stages": stages_ms,
                "calls": dict(self.calls), **fields}


_current: contextvars.ContextVar[RequestTimings | None] = contextvars.ContextVar("turn_profile", default=None)
_write_lock = threading.Lock()


def profile_path() -> Path | None:
    """The JSON-lines file of this process's request timings, or None when profiling is off."""
    value = os.environ.get(PROFILE_VARIABLE, "").strip()
    return Path(value) if value else None


def begin(kind: str) -> contextvars.Token[RequestTimings | None]:
    """Start timing the request running in this task (``kind``: e.g. "rasa turn", "action call")."""
    return _current.set(RequestTimings(kind=kind))


def finish(token: contextvars.Token[RequestTimings | None], **fields: Any) -> None:
    """Write the request's stages as one JSON line (with ``fields``) and stop timing it."""
    timings = _current.get()
    _current.reset(token)
    path = profile_path()
    if timings is None or path is None:
        return
    line = json.dumps(timings.as_record(**fields)) + "\n"
    with _write_lock, path.open("a", encoding="utf-8") as out:
        out.write(line)


def enter(stage: str) -> None:
    """Open ``stage`` in the current request (no-op outside a timed request); close it with ``leave``."""
    timings = _current.get()
    if timings is not None:
        timings.enter(stage)


def leave() -> None:
    timings = _current.get()
    if timings is not None:
        timings.leave()


def timed(stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` (sync or async) recording its time as ``stage`` of the current request."""
    if inspect.iscoroutinefunction(function):
        @functools.wraps(function)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            timings = _current.get()
            if timings is None:
                return await function(*args, **kwargs)
            timings.enter(stage)
            try:
                return await function(*args, **kwargs)
            finally:
                timings.leave()

        return async_wrapper

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        timings = _current.get()
        if timings is None:
            return function(*args, **kwargs)
        timings.enter(stage)
        try:
            return function(*args, **kwargs)
        finally:
            timings.leave()

    return wrapper


def wrap(owner: Any, attribute: str, stage: str) -> None:
    """Replace ``owner.attribute`` (a function of a module or class) by its ``timed`` version, once."""
    original = inspect.getattr_static(owner, attribute)
    if getattr(original, "__turn_profile_stage__", None):
        return
    is_static = isinstance(original, staticmethod)
    is_class = isinstance(original, classmethod)
    function = original.__func__ if (is_static or is_class) else original
    replacement: Any = timed(stage, function)
    replacement.__turn_profile_stage__ = stage
    if is_static:
        replacement = staticmethod(replacement)
    elif is_class:
        replacement = classmethod(replacement)
    setattr(owner, attribute, replacement)


def request_middleware(kind: str, path: str, describe: Callable[[Any], dict[str, Any]] | None = None) -> tuple[Any, Any]:
    """Sanic request and response middleware timing each POST to ``path`` as one ``kind`` record.

    ``describe(request)`` adds fields to the record (e.g. the action's name). Sanic runs both in
    the request's task, so the stages its handler goes through land in this record.
    """

    async def on_request(request: Any) -> None:
        if request.method == "POST" and request.path == path:
            request.ctx.turn_profile = begin(kind)

    async def on_response(request: Any, response: Any) -> None:
        token = getattr(request.ctx, "turn_profile", None)
        if token is not None:
            request.ctx.turn_profile = None
            finish(token, status=getattr(response, "status", 0), **(describe(request) if describe else {}))

    return on_request, on_response


def time_sql(engine_class: Any, stage: str = "SQL") -> None:
    """Count every statement of every SQLAlchemy engine as ``stage`` (cursor execute to result)."""
    from sqlalchemy import event

    def before(*_args: Any, **_kwargs: Any) -> None:
        enter(stage)

    def after(*_args: Any, **_kwargs: Any) -> None:
        leave()

    def failed(*_args: Any, **_kwargs: Any) -> None:
        leave()

    event.listen(engine_class, "before_cursor_execute", before)
    event.listen(engine_class, "after_cursor_execute", after)
    event.listen(engine_class, "handle_error", failed)
