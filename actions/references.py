"""Resolving "the second one", "that one", "the blue one" to products on screen.

Pure: takes the products shown (in screen order), the focused product and the message; returns the
products referred to, or the candidates to ask about and why. A reference that cannot be resolved
("the 6th" on a 5-card page, "the red one" when nothing on screen is red) is never guessed: the
caller asks which product is meant instead of acting on another one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from retrieval import Product
from retrieval.attributes import by_entity

ORDINAL_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
                 "eighth": 8, "ninth": 9, "tenth": 10}
_ORDINAL = "|".join(ORDINAL_WORDS)
_FROM_END = re.compile(rf"\b(?:(?P<n>{_ORDINAL})\s+(?:to|from)\s+(?:the\s+)?last|(?P<m>{_ORDINAL})\s+last|last\s+but\s+one|penultimate)\b")
_LAST = re.compile(r"\b(?:last|final|bottom)\b")
_WORD = re.compile(rf"\b(?P<w>{_ORDINAL})\b")
_SUFFIXED = re.compile(r"\b(?P<d>\d{1,2})(?:st|nd|rd|th)\b")
_NUMBERED = re.compile(r"(?:#\s*|\b(?:number|no\.?|item|option|product|result|card|choice)\s+)(?P<d>\d{1,2})\b")
_ONLY_NUMBER = re.compile(r"^\s*(?:the\s+)?#?(?P<d>\d{1,2})\s*(?:one)?\s*[.!?]?\s*$")


@dataclass
class Resolution:
    """Products the customer meant; else ``candidates`` to choose from and ``problem`` saying why we ask."""

    products: list[Product] = field(default_factory=list)
    candidates: list[Product] = field(default_factory=list)
    problem: str = ""


def ordinal_positions(entities: Sequence[dict[str, Any]], text: str) -> list[int]:
    """Positions named by ordinal entities, else read from the words (1-based; -1 = last, -2 = second to last).

    Only unmistakable forms are read from the text: ordinal words, "3rd", "#3", "number 3", or a
    message that is just a number. "size 8", "under 50" and "lasting" name no position.
    """
    positions: list[int] = []
    for entity in entities:
        if entity.get("entity") == "ordinal":
            try:
                positions.append(int(str(entity.get("value"))))
            except ValueError:
                continue
    if positions:
        return positions
    lowered = text.lower()
    found: list[tuple[int, int]] = []
    for match in _FROM_END.finditer(lowered):
        word = match.group("n") or match.group("m")
        found.append((match.start(), -ORDINAL_WORDS[word] if word else -2))
        lowered = lowered[:match.start()] + " " * (match.end() - match.start()) + lowered[match.end():]
    found += [(m.start(), -1) for m in _LAST.finditer(lowered)]
    found += [(m.start(), ORDINAL_WORDS[m.group("w")]) for m in _WORD.finditer(lowered)]
    found += [(m.start(), int(m.group("d"))) for m in _SUFFIXED.finditer(lowered)]
    found += [(m.start(), int(m.group("d"))) for m in _NUMBERED.finditer(lowered)]
    only = _ONLY_NUMBER.match(lowered)
    if only and not found:
        found.append((0, int(only.group("d"))))
    return [n for _, n in sorted(found) if n != 0]


def product_at(shown: Sequence[Product], position: int, first_position: int) -> Product | None:
    """The product at a spoken position: counted from the end when negative, else by its card number or screen order."""
    if position < 0:
        return shown[position] if -len(shown) <= position else None
    if first_position <= position < first_position + len(shown):
        return shown[position - first_position]  # "the 7th" on the page showing 6-10
    if 1 <= position <= len(shown):
        return shown[position - 1]  # "the second" on that page: the second card on screen
    return None


def resolve(
    shown: Sequence[Product],
    focused: Product | None,
    entities: Sequence[dict[str, Any]],
    text: str,
    *,
    first_position: int = 1,
    wanted: int = 1,
    named: Sequence[Product] = (),
) -> Resolution:
    """Find the ``wanted`` products a message refers to among ``shown`` (then the focused one).

    ``named`` are products a card button named by id (they may have scrolled off the screen).
    """
    if named:
        return Resolution(products=list(named)[:max(wanted, len(named))])
    positions = ordinal_positions(entities, text)
    if positions:
        chosen = [product_at(shown, p, first_position) for p in positions]
        if all(chosen):
            return Resolution(products=list(dict.fromkeys(p for p in chosen if p is not None)))
        if not shown:
            return Resolution()
        last = first_position + len(shown) - 1
        return Resolution(candidates=list(shown), problem=f"I only have products {first_position}–{last} on screen.")
    described = [e for e in entities if by_entity(str(e.get("entity"))) is not None and e.get("role") != "exclude"]
    if described and shown:
        matches = [p for p in shown if all(_matches(p, e) for e in described)]
        if len(matches) == 1 or (wanted > 1 and len(matches) >= wanted):
            return Resolution(products=matches[:wanted])
        if len(matches) > 1:
            return Resolution(candidates=matches, problem="Several products on screen fit that.")
        words = ", ".join(str(e.get("value")) for e in described)
        return Resolution(candidates=list(shown), problem=f"I don't see a {words} one on screen.")
    if focused is not None:
        return Resolution(products=[focused])
    if len(shown) == 1:
        return Resolution(products=list(shown))
    return Resolution(candidates=list(shown))


def _matches(product: Product, entity: dict[str, Any]) -> bool:
    """Whether a described value fits the product: its value of that attribute, or its title."""
    value = str(entity.get("value") or "").lower().strip()
    spec = by_entity(str(entity.get("entity")))
    if not value or spec is None:
        return False
    candidates = [v.lower() for v in spec.values_of(product)] if spec.field else []
    if any(value in v or v in value for v in candidates):
        return True
    title_words = set(re.findall(r"[a-z0-9]+", product.title.lower()))
    return bool(set(re.findall(r"[a-z0-9]+", value)) <= title_words) if not candidates else False
