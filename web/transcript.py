"""Turning a Rasa tracker into the transcript the widget and the console render.

Messages have the shape of the REST channel's answers (``text``, ``buttons``, ``custom``, ``image``)
plus ``role`` ("customer", "bot" or "staff"), so one renderer serves live turns and reloaded history.
"""

from __future__ import annotations

import json
import re
from typing import Any

# Button payloads are stored as typed (e.g. ``/feedback_negative{"product_id": "12"}``); the
# transcript shows what the customer clicked, not the payload.
PAYLOAD_LABELS = {
    "feedback_positive": "👍 I like this",
    "feedback_negative": "👎 Not for me",
    "more_like_this": "More like this",
    "add_to_cart": "Add to cart",
    "select_item": "Tell me more about this one",
    "show_more": "Show more",
    "change_price": "Cheaper",
    "request_human": "Talk to a person",
    "affirm": "Yes",
    "deny": "No",
    "out_of_scope": "Something else",
}
# With the product's title when the payload names one (the widget shows the same label live).
PRODUCT_LABELS = {
    "feedback_positive": "👍 I like this: {title}",
    "feedback_negative": "👎 Not for me: {title}",
    "more_like_this": "More like {title}",
    "add_to_cart": "Add to cart: {title}",
    "select_item": "Tell me more about {title}",
}
_PAYLOAD = re.compile(r"^/(?P<intent>[a-z_]+)(?P<entities>\{.*\})?$", re.DOTALL)


def label_of(text: str, titles: dict[str, str] | None = None) -> str:
    """What a customer message looks like in the transcript (button payloads become their label)."""
    match = _PAYLOAD.match(text.strip())
    if not match:
        return text
    intent = match.group("intent")
    try:
        entities = json.loads(match.group("entities") or "{}")
    except ValueError:
        entities = {}
    title = (titles or {}).get(str(entities.get("product_id"))) if isinstance(entities, dict) else None
    if title and intent in PRODUCT_LABELS:
        return PRODUCT_LABELS[intent].format(title=title)
    label = PAYLOAD_LABELS.get(intent)
    if label is None:
        label = intent.replace("_", " ").capitalize()
        if isinstance(entities, dict):
            values = [str(v) for k, v in entities.items() if k != "product_id"]
            label = f"{label}: {', '.join(values)}" if values else label
    return label


def bot_message(event: dict[str, Any]) -> dict[str, Any] | None:
    """A tracker ``bot`` event as a REST-style message; None when it carries nothing to show."""
    data = event.get("data") or {}
    metadata = event.get("metadata") or {}
    message: dict[str, Any] = {"role": "bot"}
    if event.get("text"):
        message["text"] = str(event["text"])
    if data.get("buttons"):
        message["buttons"] = data["buttons"]
    elif data.get("quick_replies"):
        message["buttons"] = data["quick_replies"]
    if data.get("image"):
        message["image"] = data["image"]
    if data.get("custom"):
        message["custom"] = data["custom"]
    if isinstance(metadata, dict) and metadata.get("staff"):
        message["role"] = "staff"
        message["staff"] = str(metadata["staff"])
    return message if len(message) > 1 else None


def rest_message(message: dict[str, Any]) -> dict[str, Any]:
    """A REST channel answer with its role added (live turns look like history; a staff reply says who)."""
    shown: dict[str, Any] = {key: message[key] for key in ("text", "buttons", "custom", "image") if key in message}
    shown["role"] = "bot"
    metadata = message.get("metadata")
    if isinstance(metadata, dict) and metadata.get("staff"):
        shown["role"], shown["staff"] = "staff", str(metadata["staff"])
    return shown


def split_bot_message(message: dict[str, Any]) -> list[dict[str, Any]]:
    """A bot event holding both text and a custom payload, as the REST channel delivers it: two messages."""
    if "custom" in message and ("text" in message or "buttons" in message):
        first = {k: v for k, v in message.items() if k != "custom"}
        second = {k: v for k, v in message.items() if k not in ("text", "buttons")}
        return [first, second]
    return [message]


def transcript(tracker: dict[str, Any]) -> list[dict[str, Any]]:
    """Every customer, bot and staff message of the tracker, in order."""
    messages: list[dict[str, Any]] = []
    titles: dict[str, str] = {}
    for event in tracker.get("events") or []:
        kind = event.get("event")
        if kind == "user" and isinstance(event.get("text"), str) and event["text"]:
            messages.append({"role": "customer", "text": label_of(event["text"], titles), "timestamp": event.get("timestamp")})
        elif kind == "bot":
            message = bot_message(event)
            if message:
                message["timestamp"] = event.get("timestamp")
                messages.extend(split_bot_message(message))
                titles.update(card_titles(message.get("custom")))
    return messages


def card_titles(custom: Any) -> dict[str, str]:
    """Product id -> title of the cards in a ``product_cards`` payload."""
    if not isinstance(custom, dict) or custom.get("type") != "product_cards":
        return {}
    return {str(c["id"]): str(c.get("title") or "") for c in custom.get("products") or [] if isinstance(c, dict) and "id" in c}


def search_state(tracker: dict[str, Any]) -> dict[str, Any]:
    """The customer's constraints and the ids on screen (the ``search_state`` slot)."""
    state = (tracker.get("slots") or {}).get("search_state")
    return state if isinstance(state, dict) else {}


def constraint_view(constraints: Any) -> dict[str, Any]:
    """The customer's constraints as the console lists them: name -> values.

    The slot keeps wanted and excluded values per attribute (``{"wanted": {"colour": ["Red"]},
    "unwanted": {"brand": ["Nike"]}, "price_max": 50, ...}``); excluded ones are listed as
    "not <attribute>", soft ones (steering the ranking only: a gift) as "<attribute> (soft)", and who
    the products are for in the customer's word as "recipient". A slot of the earlier flat shape is
    shown as it is.
    """
    if not isinstance(constraints, dict):
        return {}
    if not isinstance(constraints.get("wanted"), dict) and not isinstance(constraints.get("unwanted"), dict):
        return constraints
    view: dict[str, Any] = {name: values for name, values in (constraints.get("wanted") or {}).items() if values}
    view.update({f"not {name}": values for name, values in (constraints.get("unwanted") or {}).items() if values})
    view.update({f"{name} (soft)": values for name, values in (constraints.get("soft") or {}).items() if values})
    view.update({key: constraints[key] for key in ("price_min", "price_max", "keywords", "recipient")
                 if constraints.get(key) not in (None, [], "")})
    return view


def shown_products(tracker: dict[str, Any], ids: list[str]) -> list[dict[str, Any]]:
    """The cards of the products on the customer's screen, taken from the cards the bot sent."""
    cards: dict[str, dict[str, Any]] = {}
    for event in tracker.get("events") or []:
        custom = (event.get("data") or {}).get("custom") if event.get("event") == "bot" else None
        if isinstance(custom, dict) and custom.get("type") == "product_cards":
            for card in custom.get("products") or []:
                if isinstance(card, dict) and card.get("id") is not None:
                    cards[str(card["id"])] = card
    return [cards[str(i)] for i in ids if str(i) in cards]

