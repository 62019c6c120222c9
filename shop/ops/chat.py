"""A terminal chat with the running assistant over Rasa's REST channel.

Usage: python -m shop.ops.chat [--url http://127.0.0.1:5005] [--sender me]
Product cards arrive as a custom payload; their text form is printed here. Quick replies are
numbered: type ``/1`` to press the first button.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from typing import Any

import httpx

from shop.settings import get_settings


def render(messages: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, str]]]:
    """Lines to print and the buttons offered, from one REST response."""
    lines: list[str] = []
    buttons: list[dict[str, str]] = []
    for message in messages:
        if message.get("text"):
            lines.append(f"bot> {message['text']}")
        custom = message.get("custom")
        if isinstance(custom, dict) and custom.get("text"):
            lines.extend(f"     {line}" for line in str(custom["text"]).splitlines())
        for button in message.get("buttons") or []:
            buttons.append(button)
    for number, button in enumerate(buttons, start=1):
        lines.append(f"     [/{number}] {button.get('title')}")
    return lines, buttons


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=get_settings().resolved_rasa_url)
    parser.add_argument("--sender", default=f"terminal-{uuid.uuid4().hex[:8]}")
    args = parser.parse_args(argv)
    endpoint = f"{args.url.rstrip('/')}/webhooks/rest/webhook"
    buttons: list[dict[str, str]] = []
    print("Chat with the shopping assistant (Ctrl-D to quit).")
    with httpx.Client(timeout=30.0) as client:
        while True:
            try:
                text = input("you> ").strip()
            except (EOFError, KeyboardInterrupt):
                print()
                return 0
            if text.startswith("/") and text[1:].isdigit() and 0 < int(text[1:]) <= len(buttons):
                text = buttons[int(text[1:]) - 1]["payload"]
            try:
                response = client.post(endpoint, json={"sender": args.sender, "message": text})
                response.raise_for_status()
            except httpx.HTTPError as error:
                print(f"error: cannot reach the assistant at {args.url} ({error}); is `make run` running?", file=sys.stderr)
                continue
            lines, buttons = render(response.json())
            print("\n".join(lines) if lines else "bot> (no answer)")


if __name__ == "__main__":
    sys.exit(main())
