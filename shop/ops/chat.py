"""A terminal chat with the running assistant, as an API customer of the web app.

Usage: python -m shop.ops.chat [--url http://127.0.0.1:8000] [--token-file var/chat_token]
The first run asks the web app for a customer token (``POST /api/v1/customers``) and keeps it in the
token file (mode 600), so later runs continue the same conversation. Product cards arrive as a
custom payload; their text form is printed here. Quick replies are numbered: type ``/1`` to press
the first button. Each message carries its own id, so a message re-sent after a network error is
answered once.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx

from shop.ops.redis_server import write_private
from shop.settings import get_settings


def render(messages: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, str]]]:
    """Lines to print and the buttons offered, from one answer."""
    lines: list[str] = []
    buttons: list[dict[str, str]] = []
    for message in messages:
        if message.get("text"):
            who = f"{message['staff']} (staff)" if message.get("role") == "staff" and message.get("staff") else "bot"
            lines.append(f"{who}> {message['text']}")
        custom = message.get("custom")
        if isinstance(custom, dict) and custom.get("text"):
            lines.extend(f"     {line}" for line in str(custom["text"]).splitlines())
        for button in message.get("buttons") or []:
            buttons.append(button)
    for number, button in enumerate(buttons, start=1):
        lines.append(f"     [/{number}] {button.get('title')}")
    return lines, buttons


def customer_token(client: httpx.Client, token_file: Path) -> str:
    """The token kept from an earlier run, else a new one from the web app (then kept)."""
    if token_file.exists() and token_file.read_text().strip():
        return token_file.read_text().strip()
    response = client.post("/api/v1/customers")
    response.raise_for_status()
    token = str(response.json()["token"])
    write_private(token_file, token + "\n")
    return token


def say(client: httpx.Client, text: str, retries: int = 2) -> list[dict[str, Any]]:
    """One message, re-sent with the same id after a network error or a 5xx (answered once)."""
    body = {"message": text, "message_id": uuid.uuid4().hex}
    for attempt in range(retries + 1):
        try:
            response = client.post("/api/v1/messages", json=body)
            if response.status_code < 500 or attempt == retries:
                response.raise_for_status()
                return list(response.json().get("messages") or [])
        except httpx.TransportError:
            if attempt == retries:
                raise
    return []


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=f"http://127.0.0.1:{settings.web_port}", help="the web app (production mode: nginx's public port)")
    parser.add_argument("--token-file", type=Path, default=settings.var_dir / "chat_token", help="where the customer token is kept")
    parser.add_argument("--new", action="store_true", help="start as a new customer (forget the kept token)")
    args = parser.parse_args(argv)
    buttons: list[dict[str, str]] = []
    print("Chat with the shopping assistant (Ctrl-D to quit).")
    with httpx.Client(base_url=args.url.rstrip("/"), timeout=60.0) as client:
        try:
            if args.new:
                args.token_file.unlink(missing_ok=True)
            client.headers["Authorization"] = f"Bearer {customer_token(client, args.token_file)}"
        except httpx.HTTPError as error:
            print(f"error: cannot reach the web app at {args.url} ({error}); is `make run` running?", file=sys.stderr)
            return 2
        while True:
            try:
                text = input("you> ").strip()
            except (EOFError, KeyboardInterrupt):
                print()
                return 0
            if not text:
                continue
            if text.startswith("/") and text[1:].isdigit() and 0 < int(text[1:]) <= len(buttons):
                text = buttons[int(text[1:]) - 1]["payload"]
            try:
                messages = say(client, text)
            except httpx.HTTPStatusError as error:
                detail = error.response.json().get("detail", "") if "json" in error.response.headers.get("content-type", "") else ""
                print(f"error: {detail or error}", file=sys.stderr)
                continue
            except httpx.HTTPError as error:
                print(f"error: cannot reach the assistant at {args.url} ({error}); is `make run` running?", file=sys.stderr)
                continue
            lines, buttons = render(messages)
            print("\n".join(lines) if lines else "bot> (no answer)")


if __name__ == "__main__":
    sys.exit(main())
