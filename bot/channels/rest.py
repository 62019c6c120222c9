"""Rasa's REST channel that checks its input (400, never 500) and never hides a failed turn (503).

Why: stock ``RestInput`` calls ``request.json.get(...)``, so a JSON body that is not an object
(``[1, 2]``, ``"text"``) raises inside the handler and Sanic answers 500; a sender id with a NUL
byte or a lone surrogate reaches the SQL tracker store and fails there. Worse, it catches every
error while handling a turn (lock store down, tracker store down) and answers 200 with whatever was
said so far, usually nothing: the customer sees silence and the turn is lost without a trace. Here
such a turn is answered 503 with the "having trouble" message, so clients retry and the web app
shows it. Same URL (``/webhooks/rest/webhook``) and same answers for valid input; ``?stream=true``
is not offered, and the client may no longer pick the ``input_channel`` name stored on its events.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Awaitable, Callable
from typing import Any, Optional

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.stores import STORE_FAILURES

logger = logging.getLogger(__name__)
# The same words as actions/guard.py (the action server's environment is not importable here).
TROUBLE_MESSAGE = "I'm having trouble reaching the shop right now, one moment please — try again in a few seconds."

MAX_SENDER_CHARS = 128
MAX_MESSAGE_CHARS = 10_000


def _body(request: Request) -> dict[str, Any]:
    body = request.json  # Sanic already answers 400 to a body that is not JSON at all
    if not isinstance(body, dict):
        raise InvalidUsage('The body must be a JSON object such as {"sender": "me", "message": "hi"}.')
    return body


def _clean(value: str, what: str) -> str:
    """Refuse text UTF-8 cannot encode (lone surrogates); the stores would fail on it later."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidUsage(f"The {what} is not valid Unicode text.") from None
    return value


class GuardedRestInput(RestInput):
    """``RestInput`` that validates the body before Rasa sees it."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    async def _extract_sender(self, req: Request) -> Optional[str]:
        sender = _body(req).get("sender", "default")
        if not isinstance(sender, str) or not sender.strip():
            raise InvalidUsage('"sender" must be a non-empty string.')
        if len(sender) > MAX_SENDER_CHARS:
            raise InvalidUsage(f'"sender" is limited to {MAX_SENDER_CHARS} characters.')
        if any(unicodedata.category(char).startswith("C") for char in sender):
            raise InvalidUsage('"sender" must not contain control or unassigned characters.')
        return _clean(sender, "sender")

    def _extract_message(self, req: Request) -> Optional[str]:
        message = _body(req).get("message")
        if not isinstance(message, str):
            raise InvalidUsage('"message" must be a string.')
        if len(message) > MAX_MESSAGE_CHARS:
            raise InvalidUsage(f'"message" is limited to {MAX_MESSAGE_CHARS:,} characters; this one has {len(message):,}.')
        return _clean(message, "message")

    def _extract_input_channel(self, req: Request) -> str:
        return self.name()

    def get_metadata(self, request: Request) -> Optional[dict[str, Any]]:
        metadata = _body(request).get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise InvalidUsage('"metadata" must be a JSON object.')
        return metadata

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """``GET /`` (health) and ``POST /webhook``: one turn, answered 200 only when it really happened."""
        webhook = Blueprint("guarded_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            sender = await self._extract_sender(request)
            text = self._extract_message(request)
            metadata = self.get_metadata(request)
            collector = CollectingOutputChannel()
            failures: list[str] = []
            token = STORE_FAILURES.set(failures)
            try:
                await on_new_message(UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata))
            except Exception as error:  # lock store or tracker store down: the turn did not happen
                logger.exception("turn of %s failed", sender)
                failures.append(type(error).__name__)
            finally:
                STORE_FAILURES.reset(token)
            if failures:
                logger.error("turn of %s not stored (%s); answered 503", sender, ", ".join(failures))
                body = {"error": "The turn could not be processed; retry shortly.",
                        "messages": [{"recipient_id": sender, "text": TROUBLE_MESSAGE}]}
                return response.json(body, status=503, headers={"Retry-After": "5"})
            return response.json(collector.messages)

        return webhook
