"""Rasa's REST channel that checks its input (400, never 500) and never hides a failed turn (503).

Why: stock ``RestInput`` calls ``request.json.get(...)``, so a JSON body that is not an object
(``[1, 2]``, ``"text"``) raises inside the handler and Sanic answers 500; a sender id with a NUL
byte or a lone surrogate reaches the SQL tracker store and fails there. Worse, it catches every
error while handling a turn (lock store down, tracker store down) and answers 200 with whatever was
said so far, usually nothing: the customer sees silence and the turn is lost without a trace. Here
such a turn is answered 503 with the "having trouble" message, so clients retry and the web app
shows it. Same URL (``/webhooks/rest/webhook``) and same answers for valid input; ``?stream=true``
is not offered, and the client may no longer pick the ``input_channel`` name stored on its events.

A REST client has no live stream, yet messages reach its conversation between its turns: a member
of staff's replies and the "nobody is free" notice of the handoff timeout (``web/handoff_timer.py``),
appended to the tracker through Rasa's HTTP API. So each answer starts with the bot and staff
messages logged since the customer's previous message that no earlier answer carried
(``late_messages``): those marked ``OUT_OF_TURN``, and any uttered after the previous turn had
ended (the bot's "anything else?" when staff hand back). They lie between two of the customer's
messages, so each is delivered once. A client that gets them pushed already (the web app, over
SSE) sends ``"metadata": {"receives_live": true}`` and gets only the turn's own answer.

Internal only: every customer reaches it through the web app, which owns their identity (the
sender id) and sends Rasa's token as ``Authorization: Bearer`` (``token`` in the credentials file,
read from ``SHOP_RASA_TOKEN``); without the token a request is refused 401. A turn that carries an
``Idempotency-Key`` header (the customer's message id) happens once: under the conversation's lock
the channel first looks for a user event with that id, and if an earlier request already ran the
turn it answers with that turn's messages again instead of running it twice. So a turn re-sent
while the first request still runs (a proxy timeout) waits for it and gets its answer, and one
whose replica died after saving it is not stored twice. The id also goes into the message's
metadata (``MESSAGE_ID``), where the action server keys the rows the turn writes by it.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import unicodedata
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Optional

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.events import Event
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage, Unauthorized
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.stores import STORE_FAILURES
from shop.messages import IDEMPOTENCY_HEADER, MESSAGE_ID, OUT_OF_TURN, RECEIVES_LIVE, TROUBLE_MESSAGE

logger = logging.getLogger(__name__)

MAX_SENDER_CHARS = 128
MAX_MESSAGE_CHARS = 10_000
# How far back the late-message lookup reads a conversation's events at most.
MAX_EVENTS_READ_BACK = 1000
# How many of a conversation's latest customer messages are searched for a re-sent message id: a
# retry comes within seconds; the web app answers older repeats from its own store.
MAX_USER_EVENTS_CHECKED = 50
# What a client message id may look like (a UUID from the widget, or an API client's own id).
MESSAGE_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def _body(request: Request) -> dict[str, Any]:
    body = request.json  # Sanic already answers 400 to a body that is not JSON at all
    if not isinstance(body, dict):
        raise InvalidUsage('The body must be a JSON object such as {"sender": "me", "message": "hi"}.')
    return body


def _rest_message(event: dict[str, Any], recipient: str) -> Optional[dict[str, Any]]:
    """A tracker ``bot`` event in the shape of the REST channel's answers (None when empty)."""
    data = event.get("data") or {}
    message: dict[str, Any] = {"recipient_id": recipient}
    if event.get("text"):
        message["text"] = event["text"]
    for key in ("buttons", "image", "custom", "attachment"):
        if data.get(key):
            message[key] = data[key]
    if "buttons" not in message and data.get("quick_replies"):
        message["buttons"] = data["quick_replies"]
    if len(message) == 1:
        return None
    if event.get("metadata"):
        message["metadata"] = event["metadata"]
    return message


def _recent_sql_events(store: SQLTrackerStore, sender: str, message_id: str) -> list[dict[str, Any]]:
    """The conversation's events back to the customer's message before ``message_id``, oldest first.

    Read newest first straight from the events table, a few rows per turn: rebuilding the whole
    tracker would replay every event of the conversation on every turn (measured on two cores:
    20 ms for a conversation of 60 turns, against about 1 ms for this read-back).
    """
    window: list[dict[str, Any]] = []
    mine = False
    with store.session_scope() as session:
        rows = (session.query(store.SQLEvent.type_name, store.SQLEvent.data)
                .filter(store.SQLEvent.sender_id == sender).order_by(store.SQLEvent.id.desc()).limit(MAX_EVENTS_READ_BACK))
        for type_name, data in rows:
            window.append(json.loads(data))
            if type_name == "user":
                if mine:
                    break
                mine = window[-1].get("message_id") == message_id
    window.reverse()
    return window


def late_messages(events: list[dict[str, Any]], message_id: str, recipient: str) -> list[dict[str, Any]]:
    """Bot and staff messages logged between the customer's previous message and ``message_id``
    that no answer carried: marked ``OUT_OF_TURN``, or uttered after the previous turn ended
    (``action_listen``, or the conversation paused or resumed)."""
    mine = next((i for i in range(len(events) - 1, -1, -1)
                 if events[i].get("event") == "user" and events[i].get("message_id") == message_id), None)
    if mine is None:
        return []
    previous = next((i for i in range(mine - 1, -1, -1) if events[i].get("event") == "user"), -1)
    late: list[dict[str, Any]] = []
    turn_over = False
    for event in events[previous + 1:mine]:
        kind = event.get("event")
        if kind in ("pause", "resume") or (kind == "action" and event.get("name") == "action_listen"):
            turn_over = True
        elif kind == "bot" and (turn_over or (event.get("metadata") or {}).get(OUT_OF_TURN)):
            message = _rest_message(event, recipient)
            if message:
                late.append(message)
    return late


def turn_answer(events: list[dict[str, Any]], message_id: str) -> Optional[list[dict[str, Any]]]:
    """The bot events that answered the customer's message ``message_id``; None when it is not in ``events``.

    The turn's own answer: bot events after that message until the bot listens again (or the
    conversation is paused or resumed, or the customer writes again), without those marked
    ``OUT_OF_TURN`` (staff replies and notices logged between turns belong to the next answer).
    """
    mine = next((i for i in range(len(events) - 1, -1, -1)
                 if events[i].get("event") == "user" and events[i].get("message_id") == message_id), None)
    if mine is None:
        return None
    answer: list[dict[str, Any]] = []
    for event in events[mine + 1:]:
        kind = event.get("event")
        if kind in ("user", "pause", "resume") or (kind == "action" and event.get("name") == "action_listen"):
            break
        if kind == "bot" and not (event.get("metadata") or {}).get(OUT_OF_TURN):
            answer.append(event)
    return answer


async def as_rest_messages(events: list[dict[str, Any]], recipient: str) -> list[dict[str, Any]]:
    """Bot events as the REST channel delivered them when they were uttered (same splitting, same fields)."""
    collector = CollectingOutputChannel()
    for event in events:
        await collector.send_response(recipient, Event.from_parameters(event).message())  # type: ignore[attr-defined]
    return collector.messages


def _seen_sql(store: SQLTrackerStore, sender: str, message_id: str) -> bool:
    """Whether one of the conversation's latest customer messages has this id (one indexed query)."""
    with store.session_scope() as session:
        rows = (session.query(store.SQLEvent.data)
                .filter(store.SQLEvent.sender_id == sender, store.SQLEvent.type_name == "user")
                .order_by(store.SQLEvent.id.desc()).limit(MAX_USER_EVENTS_CHECKED))
        return any(json.loads(data).get("message_id") == message_id for (data,) in rows)


def _primary(store: TrackerStore) -> TrackerStore:
    return getattr(store, "_tracker_store", store)  # inside Rasa's FailSafeTrackerStore


async def read_back(store: TrackerStore, sender: str, message_id: str) -> list[dict[str, Any]]:
    """The conversation's events around the customer's message ``message_id`` (see ``_recent_sql_events``)."""
    primary = _primary(store)
    if isinstance(primary, SQLTrackerStore):
        return _recent_sql_events(primary, sender, message_id)
    tracker = await store.retrieve_full_tracker(sender)
    return [event.as_dict() for event in tracker.events] if tracker else []


async def earlier_turn(store: TrackerStore, sender: str, message_id: str) -> Optional[list[dict[str, Any]]]:
    """The events of an earlier run of this message's turn, or None when it has not run yet."""
    primary = _primary(store)
    if isinstance(primary, SQLTrackerStore) and not _seen_sql(primary, sender, message_id):
        return None
    events = await read_back(store, sender, message_id)
    return events if turn_answer(events, message_id) is not None else None


def _clean(value: str, what: str) -> str:
    """Refuse text UTF-8 cannot encode (lone surrogates); the stores would fail on it later."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidUsage(f"The {what} is not valid Unicode text.") from None
    return value


class GuardedRestInput(RestInput):
    """``RestInput`` that checks the caller's token, validates the body and runs a keyed turn once."""

    def __init__(self, token: Optional[str] = None) -> None:
        self.token = token or None

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> GuardedRestInput:
        token = (credentials or {}).get("token")
        return cls(token=str(token) if token else None)

    @classmethod
    def name(cls) -> str:
        return "rest"

    def _authorise(self, request: Request) -> None:
        """Only holders of Rasa's token (the web app, internal tools) may send turns."""
        if self.token is None:
            return
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            raise Unauthorized("Rasa's REST channel is internal: send its token as 'Authorization: Bearer ...'.")

    @staticmethod
    def _message_id(request: Request) -> Optional[str]:
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if key is None:
            return None
        if not MESSAGE_ID_PATTERN.match(key):
            raise InvalidUsage(f"{IDEMPOTENCY_HEADER} must be 1-64 letters, digits or ._:- characters.")
        return key

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
            self._authorise(request)
            sender = await self._extract_sender(request)
            text = self._extract_message(request)
            metadata = dict(self.get_metadata(request) or {})
            key = self._message_id(request)
            if key:
                metadata[MESSAGE_ID] = key
            else:  # only the header makes a turn keyed: nginx retries by it
                metadata.pop(MESSAGE_ID, None)
            collector = CollectingOutputChannel()
            message = UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata or None,
                                  message_id=key or uuid.uuid4().hex)
            earlier: Optional[list[dict[str, Any]]] = None
            failures: list[str] = []
            token = STORE_FAILURES.set(failures)
            try:
                if key:
                    earlier = await self._handle_once(request, message)
                else:
                    await on_new_message(message)
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
            events = earlier
            if events is None and not metadata.get(RECEIVES_LIVE):
                events = await self._read_back(request, sender, message.message_id)
            own = collector.messages
            if earlier is not None:
                logger.info("message %s of %s was answered before; the same answer again", key, sender)
                own = await as_rest_messages(turn_answer(earlier, message.message_id) or [], sender)
            if metadata.get(RECEIVES_LIVE):
                return response.json(own)
            return response.json(late_messages(events or [], message.message_id, sender) + own)

        return webhook

    @staticmethod
    async def _handle_once(request: Request, message: UserMessage) -> Optional[list[dict[str, Any]]]:
        """Run a keyed turn unless it ran before: then return that run's events (``Agent.handle_message``
        plus a look at the tracker once the conversation's lock is held, so a duplicate waits for the first)."""
        agent = request.app.ctx.agent
        async with agent.lock_store.lock(message.sender_id):
            earlier = await earlier_turn(agent.tracker_store, message.sender_id, str(message.message_id))
            if earlier is not None:
                return earlier
            await agent.processor.handle_message(message)
        return None

    @staticmethod
    async def _read_back(request: Request, sender: str, message_id: str) -> list[dict[str, Any]]:
        """This turn's surroundings, read back from the tracker store after the turn was saved (for ``late_messages``)."""
        try:
            return await read_back(request.app.ctx.agent.tracker_store, sender, message_id)
        except Exception:  # the turn itself happened: answer it, and say loudly what was not delivered
            logger.exception("could not read the events of %s back; messages from outside the turn not delivered", sender)
            return []
