"""Small async clients of the assistant, shared by the benchmarks.

``ChatSession`` talks to Rasa's REST channel on its internal address, with Rasa's token: the
dialogue and feedback benchmarks measure the dialogue itself (NLU, policies, actions), as an
internal tool does. ``CustomerSession`` is a customer of the web app's API (bearer token, a message
id per message), the only way in that production mode publishes: the load benchmark uses it.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Turn:
    """One message sent and what came back."""

    text: str
    messages: list[dict[str, Any]]
    seconds: float

    def cards(self) -> list[dict[str, Any]]:
        for message in self.messages:
            custom = message.get("custom")
            if isinstance(custom, dict) and custom.get("type") == "product_cards":
                return list(custom.get("products") or [])
        return []

    def text_out(self) -> str:
        return " ".join(str(m.get("text") or "") for m in self.messages)


def rasa_token() -> str:
    """Rasa's token of this installation (var/rasa_token, or SHOP_RASA_TOKEN)."""
    from shop.settings import get_settings

    return get_settings().resolved_rasa_token


@dataclass
class ChatSession:
    """One conversation on Rasa's internal REST channel (an internal tool: it names the sender itself)."""

    client: httpx.AsyncClient
    base_url: str
    sender: str
    turns: list[Turn] = field(default_factory=list)
    token: str = field(default_factory=rasa_token, repr=False)

    async def say(self, text: str) -> Turn:
        started = time.perf_counter()
        response = await self.client.post(f"{self.base_url}/webhooks/rest/webhook", json={"sender": self.sender, "message": text},
                                          headers={"Authorization": f"Bearer {self.token}"})
        response.raise_for_status()
        turn = Turn(text=text, messages=response.json(), seconds=time.perf_counter() - started)
        self.turns.append(turn)
        return turn

    async def press(self, intent: str, **entities: str) -> Turn:
        """What a widget button sends: an intent payload with entities."""
        return await self.say(f"/{intent}{json.dumps(entities)}" if entities else f"/{intent}")


@dataclass
class CustomerSession:
    """One customer of the web app's API: ``start`` gets a token, ``say`` sends a message with its own id."""

    client: httpx.AsyncClient
    token: str = ""
    customer_id: str = ""
    turns: list[Turn] = field(default_factory=list)

    async def start(self) -> CustomerSession:
        response = await self.client.post("/api/v1/customers")
        response.raise_for_status()
        self.token, self.customer_id = response.json()["token"], response.json()["customer_id"]
        return self

    async def say(self, text: str, message_id: str | None = None) -> Turn:
        """One message; raises ``httpx.HTTPStatusError`` on an error status."""
        started = time.perf_counter()
        response = await self.client.post("/api/v1/messages", json={"message": text, "message_id": message_id or uuid.uuid4().hex},
                                          headers={"Authorization": f"Bearer {self.token}"})
        response.raise_for_status()
        turn = Turn(text=text, messages=list(response.json().get("messages") or []), seconds=time.perf_counter() - started)
        self.turns.append(turn)
        return turn


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]
