"""Turning products into what channels show: cards for the widget, plain text for terminals.

Every product message carries both forms: a ``custom`` payload with structured cards (the web
widget renders these) that also holds a ``text`` rendering for text-only channels.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from retrieval import Hit, Product
from retrieval.attributes import attribute
from retrieval.presentation import format_price

SHOWN = tuple(attribute(name) for name in ("colour", "product_type", "gender", "usage", "season"))


def key_attributes(product: Product) -> list[str]:
    """The product's colour, type, person, occasion and season as shown ("Chairs, Stools" for several types)."""
    return [text for text in (spec.display(product) for spec in SHOWN) if text]


def product_card(product: Product, position: int, reasons: Iterable[str] = ()) -> dict[str, Any]:
    """One card: everything the widget needs, no HTML (the widget escapes and lays it out)."""
    return {
        "id": product.id,
        "position": position,
        "title": product.title,
        "price": product.price,
        "price_text": format_price(product),
        "currency": product.currency,
        "brand": product.brand,
        "colour": SHOWN[0].display(product) or None,
        "product_type": SHOWN[1].display(product) or None,
        "gender": product.gender,
        "sizes": list(product.sizes),
        "attributes": key_attributes(product),
        "image_url": product.image_url,
        "reasons": list(reasons),
    }


def product_line(product: Product, position: int) -> str:
    details = ", ".join(key_attributes(product)[:3])
    return f"{position}. {product.title} — {format_price(product)}{f' ({details})' if details else ''} [id {product.id}]"


def send_products(
    dispatcher: CollectingDispatcher,
    intro: str,
    hits: list[Hit],
    *,
    first_position: int = 1,
    constraints_text: str = "",
    quick_replies: list[dict[str, str]] | None = None,
) -> None:
    """Send the intro with quick replies, then the cards (with their text form)."""
    dispatcher.utter_message(text=intro, buttons=quick_replies or [])
    cards = [product_card(hit.product, first_position + i, hit.reasons) for i, hit in enumerate(hits)]
    lines = [product_line(hit.product, first_position + i) for i, hit in enumerate(hits)]
    dispatcher.utter_message(
        json_message={"type": "product_cards", "constraints": constraints_text, "products": cards, "text": "\n".join(lines)}
    )


def quick_reply(title: str, payload: str) -> dict[str, str]:
    return {"title": title, "payload": payload}


RESULT_QUICK_REPLIES = [
    quick_reply("Show more", "/show_more"),
    quick_reply("Cheaper", "/change_price"),
    quick_reply("Talk to a person", "/request_human"),
]
