"""`python -m web [--port N]`: serve the demo store, the chat widget and the staff console."""

from __future__ import annotations

import argparse

import uvicorn

from shop.logging_setup import configure_logging
from shop.settings import get_settings
from web.app import create_app


def main() -> None:
    settings = get_settings()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=settings.web_host)
    parser.add_argument("--port", type=int, default=settings.web_port)
    args = parser.parse_args()
    configure_logging("web")  # one log format for all our processes (JSON in production mode)
    # Short graceful shutdown: open SSE streams must not keep a stopping server alive.
    # log_config=None: uvicorn keeps the handlers configure_logging installed.
    # forwarded_allow_ips: only these proxies may name the client (X-Forwarded-For), which the rate limits count.
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info", timeout_graceful_shutdown=3, log_config=None,
                proxy_headers=True, forwarded_allow_ips=settings.web_forwarded_allow_ips)


if __name__ == "__main__":
    main()
