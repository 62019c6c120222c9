"""One logging setup for every Python-3.11 process we run (action server, web app, tools).

Why JSON: in production mode several processes of each kind write logs at once; one JSON object per
line (time, level, service, logger, message, exception) can be collected and filtered by a log
shipper without parsing free text. The embedded default keeps the readable one-line text format.
Selected with ``SHOP_LOG_FORMAT=json|text`` and ``SHOP_LOG_LEVEL``.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Attributes every LogRecord has; anything else was passed with ``extra=`` and is kept as a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName", "color_message"}


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object on one line (``extra=`` fields included)."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service
        self.pid = os.getpid()

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "pid": self.pid,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(service: str, fmt: str | None = None, level: str | None = None) -> None:
    """Route the root logger (and uvicorn's/sanic's loggers) to stderr in the chosen format.

    ``fmt``/``level`` default to the settings (``SHOP_LOG_FORMAT``, ``SHOP_LOG_LEVEL``). Library
    loggers that install their own handlers are reset so every line has the same shape.
    """
    from shop.settings import get_settings

    settings = get_settings()
    fmt = fmt or settings.log_format
    level = (level or settings.log_level).upper()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service) if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "sanic.root", "sanic.error", "sanic.access", "sanic.server"):
        library = logging.getLogger(name)
        library.handlers[:] = []
        library.propagate = True
