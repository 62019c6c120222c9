"""A real action server over the integration catalog, and a client that speaks its webhook protocol."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from shop.settings import Settings


@pytest.fixture(scope="session")
def action_server(catalog_settings: Settings) -> Iterator[str]:
    """Start `python -m actions.server` on its own free port (the full stack uses the shared one)."""
    from shop.ops.stack import base_env, free_port, start_action_server

    settings = catalog_settings.model_copy(update={"action_port": free_port()})
    server = start_action_server(settings, base_env(settings))
    try:
        server.wait_ready(180)
        yield f"http://127.0.0.1:{settings.action_port}/webhook"
    finally:
        server.stop()


class Conversation:
    """Drives actions turn by turn, carrying slots between calls like Rasa does."""

    def __init__(self, url: str, sender: str) -> None:
        self.url, self.sender = url, sender
        self.slots: dict[str, Any] = {}
        self.paused = False

    def run(self, action: str, text: str, intent: str, entities: list[dict[str, Any]] | None = None,
            events: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        body = {
            "next_action": action, "sender_id": self.sender, "version": "3.6.21",
            "domain": {"slots": {"search_state": {"type": "any"}, "focused_product": {"type": "text"}}},
            "tracker": {
                "sender_id": self.sender, "slots": dict(self.slots), "paused": self.paused, "events": events or [],
                "latest_message": {"text": text, "intent": {"name": intent, "confidence": 0.99}, "entities": entities or [], "intent_ranking": []},
                "latest_action_name": "action_listen", "active_loop": {}, "followup_action": None,
            },
        }
        response = httpx.post(self.url, json=body, timeout=60)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        for event in result["events"]:
            if event["event"] == "slot":
                self.slots[event["name"]] = event["value"]
            elif event["event"] == "pause":
                self.paused = True
        return result


@pytest.fixture
def conversation(action_server: str, request: pytest.FixtureRequest) -> Conversation:
    return Conversation(action_server, sender=request.node.name)
