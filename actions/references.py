"""Resolving "the second one", "that one", "the blue one" to products on screen.

Pure: takes the products shown, the focused product and the message's entities; returns the
products referred to, or tells the caller the reference is ambiguous or unknown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from retrieval import Product

ORDINAL_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "last": -1}


@dataclass
class Resolution:
    """Products the customer meant; ``ambiguous`` lists candidates when a description matched several."""

    products: list[Product] = field(default_factory=list)
    ambiguous: list[Product] = field(default_factory=list)


def _ordinal_positions(entities: Sequence[dict[str, Any]], text: str) -> list[int]:
    positions: list[int] = []
    for entity in entities:
        if entity.get("entity") == "ordinal":
            try:
                positions.append(int(str(entity.get("value"))))
            except ValueError:
                continue
    if not positions:  # the tagger missed it: the ordinal words are unambiguous enough to read directly
        lowered = f" {text.lower()} "
        found = [(lowered.find(f" {word}"), n) for word, n in ORDINAL_WORDS.items() if f" {word}" in lowered]
        positions = [n for _, n in sorted(found)]
        positions += [int(tok) for tok in lowered.replace("#", " ").split() if tok.isdigit() and 0 < int(tok) <= 20]
    return positions


def _at(shown: Sequence[Product], position: int, page_start: int) -> Product | None:
    if position == -1:
        return shown[-1] if shown else None
    # "the 7th" on page two means the 7th overall; "the second" means the second on screen.
    index = position - page_start if position >= page_start and position - page_start < len(shown) else position - 1
    return shown[index] if 0 <= index < len(shown) else None


def resolve(
    shown: Sequence[Product],
    focused: Product | None,
    entities: Sequence[dict[str, Any]],
    text: str,
    *,
    page_start: int = 1,
    wanted: int = 1,
) -> Resolution:
    """Find the ``wanted`` products a message refers to among ``shown`` (then the focused one).

    A ``product_id`` entity (sent by the buttons on a product card) names a product exactly; the
    caller passes such products in ``shown`` after looking them up.
    """
    chosen: list[Product] = []
    by_id = {p.id: p for p in [*shown, *([focused] if focused else [])]}
    for entity in entities:
        if entity.get("entity") == "product_id" and str(entity.get("value")) in by_id:
            chosen.append(by_id[str(entity.get("value"))])
    if chosen:
        return Resolution(products=chosen)
    for position in _ordinal_positions(entities, text):
        product = _at(shown, position, page_start)
        if product is not None and product not in chosen:
            chosen.append(product)
    if chosen:
        return Resolution(products=chosen)

    described = [e for e in entities if e.get("entity") in ("color", "brand", "product_type") and e.get("role") != "exclude"]
    if described:
        matches = [p for p in shown if all(_matches(p, e) for e in described)]
        if len(matches) == 1 or (wanted > 1 and len(matches) >= wanted):
            return Resolution(products=matches[:wanted])
        if len(matches) > 1:
            return Resolution(ambiguous=matches)
    if focused is not None:
        return Resolution(products=[focused])
    if len(shown) == 1:
        return Resolution(products=list(shown))
    return Resolution(ambiguous=list(shown))


def _matches(product: Product, entity: dict[str, Any]) -> bool:
    value = str(entity.get("value") or "").lower()
    attribute = {"color": product.colour, "brand": product.brand, "product_type": product.product_type}[str(entity["entity"])]
    if not attribute:
        return False
    return value in attribute.lower() or attribute.lower() in value
