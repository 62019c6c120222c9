"""A thin async client of the Rasa server: REST channel for customers, HTTP API for the console.

Both are internal and need Rasa's token: the REST channel as ``Authorization: Bearer``, the HTTP
API as Rasa's ``?token=``. A customer turn carries its message id as ``Idempotency-Key``, so Rasa
runs it once however often it is sent; that makes the one retry below (and nginx's) safe.
"""

from __future__ import annotations

from typing import Any

import httpx

from shop.messages import IDEMPOTENCY_HEADER

# Failures after which the same keyed turn is sent again, once: the connection broke or the
# balancer found no replica; Rasa answers a turn it has already run with that turn's answer.
RETRYABLE_ERRORS = (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError)
RETRYABLE_STATUS = (502, 504)


class RasaUnavailableError(RuntimeError):
    """Rasa did not answer in time or answered with an error; the web app turns this into a 503."""


class RasaClient:
    """Built once per app; every call has a timeout so a stuck Rasa never hangs a customer."""

    def __init__(self, base_url: str, token: str, timeout: float) -> None:
        self._token = token
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=httpx.Timeout(timeout, connect=3.0))

    async def close(self) -> None:
        await self._http.aclose()

    async def _call(self, method: str, path: str, *, api: bool, json: Any = None, params: dict[str, str] | None = None,
                    key: str | None = None) -> Any:
        query = dict(params or {})
        headers = {"Authorization": f"Bearer {self._token}"}
        if api:
            query["token"] = self._token
        if key:
            headers[IDEMPOTENCY_HEADER] = key
        for attempt in range(2 if key else 1):
            try:
                response = await self._http.request(method, path, json=json, params=query, headers=headers)
            except RETRYABLE_ERRORS as error:
                if attempt == 0 and key:
                    continue
                raise RasaUnavailableError(f"Rasa is unreachable ({type(error).__name__}: {error})") from error
            except httpx.HTTPError as error:
                raise RasaUnavailableError(f"Rasa is unreachable ({type(error).__name__}: {error})") from error
            if not (key and attempt == 0 and response.status_code in RETRYABLE_STATUS):
                break
        if response.status_code >= 400:
            raise RasaUnavailableError(f"Rasa answered {response.status_code} to {method} {path}: {response.text[:200]}")
        try:
            return response.json()
        except ValueError as error:
            raise RasaUnavailableError(f"Rasa answered {method} {path} with non-JSON: {response.text[:200]}") from error

    async def send_message(self, sender: str, text: str, *, message_id: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """A customer turn through the REST channel, run once per ``message_id``; returns the bot
        messages (empty while paused)."""
        body: dict[str, Any] = {"sender": sender, "message": text}
        if metadata:
            body["metadata"] = metadata
        messages = await self._call("POST", "/webhooks/rest/webhook", api=False, json=body, key=message_id)
        return [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []

    async def tracker(self, sender: str) -> dict[str, Any]:
        tracker = await self._call("GET", f"/conversations/{sender}/tracker", api=True)
        return tracker if isinstance(tracker, dict) else {}

    async def append_events(self, sender: str, events: list[dict[str, Any]]) -> None:
        await self._call("POST", f"/conversations/{sender}/tracker/events", api=True, json=events)

    async def execute(self, sender: str, action: str) -> list[dict[str, Any]]:
        """Run one action (e.g. ``utter_anything_else``) and return the messages it produced."""
        result = await self._call("POST", f"/conversations/{sender}/execute", api=True, json={"name": action})
        messages = result.get("messages", []) if isinstance(result, dict) else []
        return [m for m in messages if isinstance(m, dict)]

    async def status(self) -> dict[str, Any]:
        """Rasa's ``/status``: the model file it serves and that model's id."""
        status = await self._call("GET", "/status", api=True)
        return status if isinstance(status, dict) else {}
