"""Entry point of the action server: rasa-sdk's server plus a warm-up in each worker.

Usage: python -m actions.server [--port 5055]

Why not ``python -m rasa_sdk``: the stock entry point would load the retriever lazily on the
first customer message (several seconds). Here each Sanic worker loads it before it accepts
requests, and a busy port is reported as a clear error instead of a traceback.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import socket
import sys
from functools import partial

from sanic import Sanic

from shop.logging_setup import configure_logging
from shop.settings import get_settings
from shop.turn_profile import profile_path as turn_profile_path

logger = logging.getLogger("actions.server")


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            return error.errno != errno.EADDRINUSE
    return True


def create_app(cors_origins: str = "*") -> Sanic:
    """rasa-sdk's app with our actions registered and a warm-up before serving."""
    from rasa_sdk.endpoint import create_app_for_serve
    from rasa_sdk.executor import ActionExecutor

    from actions.services import warm_up

    executor = ActionExecutor()
    executor.register_package("actions")
    app = create_app_for_serve(executor, cors_origins=cors_origins, endpoints="")
    if turn_profile_path() is not None:  # only for benchmarks/turn_cost.py
        from actions.turn_profile import install

        install(app)

    @app.before_server_start
    async def _load_services(_app: Sanic) -> None:
        warm_up()

    return app


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(description="Shopping assistant action server")
    parser.add_argument("--port", type=int, default=settings.action_port)
    parser.add_argument("--host", default=os.environ.get("SANIC_HOST", "127.0.0.1"))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("ACTION_SERVER_SANIC_WORKERS", "1")))
    args = parser.parse_args(argv)
    configure_logging("actions")
    if not port_is_free(args.port, args.host):
        print(f"error: port {args.port} is already in use; stop the other process or set SHOP_ACTION_PORT", file=sys.stderr)
        return 2
    from sanic.worker.loader import AppLoader

    loader = AppLoader(factory=partial(create_app))
    app = loader.load()
    configure_logging("actions")  # again: creating the Sanic app installs its own log handlers
    app.prepare(host=args.host, port=args.port, workers=args.workers, single_process=args.workers == 1, motd=False)
    logger.info("action server listening on http://%s:%d", args.host, args.port)
    Sanic.serve(primary=app, app_loader=loader) if args.workers > 1 else Sanic.serve_single(primary=app)
    return 0


if __name__ == "__main__":
    sys.exit(main())
