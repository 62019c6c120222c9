"""A small async client of Rasa's REST channel, shared by the dialogue and feedback benchmarks."""

from __future__ import annotations

import json
import time
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


@dataclass
class ChatSession:
    """One customer talking to the assistant."""

    client: httpx.AsyncClient
    base_url: str
    sender: str
    turns: list[Turn] = field(default_factory=list)

    async def say(self, text: str) -> Turn:
        started = time.perf_counter()
        response = await self.client.post(f"{self.base_url}/webhooks/rest/webhook", json={"sender": self.sender, "message": text})
        response.raise_for_status()
        turn = Turn(text=text, messages=response.json(), seconds=time.perf_counter() - started)
        self.turns.append(turn)
        return turn

    async def press(self, intent: str, **entities: str) -> Turn:
        """What a widget button sends: an intent payload with entities."""
        return await self.say(f"/{intent}{json.dumps(entities)}" if entities else f"/{intent}")


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]
