"""Pure value normalisation for extracted entities (standard library only).

Why: the dialogue and retrieval code want ``price_max == "100"`` whether the shopper typed
"under $100", "less than a hundred" or "100 bucks", and ``ordinal == "2"`` for "the second one".
The model only finds the span; this module turns the span text into the contract value of the
brief (plain number strings for prices and ordinals, lower-cased surface text for the rest).
"""

from __future__ import annotations

import re

_UNITS = {
    "zero": 0,
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SCALES = {"hundred": 100, "thousand": 1000, "grand": 1000, "k": 1000}
_ORDINAL_WORDS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "top": 1,
    "1st": 1,
    "2nd": 2,
    "3rd": 3,
}
_LAST_WORDS = {"last", "final", "bottom"}
_TOKEN_RE = re.compile(r"\d+(?:[.,]\d+)*|[a-z]+")
_NUMERIC_RE = re.compile(r"^\d+(?:,\d{3})*(?:\.\d+)?$")


def format_number(value: float) -> str:
    """``100.0 -> "100"``, ``19.5 -> "19.5"``: the plain number strings of the ontology."""
    if value == int(value):
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _numeric(token: str) -> float | None:
    if _NUMERIC_RE.match(token):
        return float(token.replace(",", ""))
    return None


def parse_numbers(text: str) -> list[float]:
    """All amounts in ``text``, digits or English number words, in reading order.

    ``"between 20 and 40 bucks" -> [20, 40]``, ``"a hundred and fifty" -> [150]``,
    ``"$1,200" -> [1200]``, ``"2 grand" -> [2000]``, ``"50k" -> [50000]``.
    """
    tokens = _TOKEN_RE.findall(text.lower())
    numbers: list[float] = []
    current: float | None = None  # the amount being built from consecutive number tokens
    for i, token in enumerate(tokens):
        value = _numeric(token)
        if value is not None:
            if current is not None:
                numbers.append(current)
            current = value
        elif token in _SCALES and current is not None:
            current *= _SCALES[token]
        elif token in {"hundred", "thousand"}:  # a bare "hundred" means one hundred
            current = float(_SCALES[token])
        elif token in _TENS:
            if current is not None and current % 100 != 0:
                numbers.append(current)
                current = None
            current = (current or 0) + _TENS[token]
        elif token in _UNITS:
            if token in {"a", "an"}:  # "a hundred" is a number, "a shirt" is not
                nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
                if nxt not in _SCALES:
                    continue
            if current is not None and (current % 10 != 0 or current < 20):
                numbers.append(current)
                current = None
            current = (current or 0) + _UNITS[token]
        elif token == "and" and current is not None and current >= 100:
            continue  # "a hundred and fifty"
        elif current is not None:
            numbers.append(current)
            current = None
    if current is not None:
        numbers.append(current)
    return numbers


def normalise_price(text: str, entity: str) -> str | None:
    """The price bound as a plain number string, or None when the span holds no amount.

    A span holding two amounts ("20 to 40") gives its lower one to ``price_min`` and its
    higher one to ``price_max``.
    """
    numbers = parse_numbers(text)
    if not numbers:
        return None
    return format_number(min(numbers) if entity == "price_min" else max(numbers))


def normalise_ordinal(text: str) -> str | None:
    """``"second" -> "2"``, ``"3rd" -> "3"``, ``"last" -> "-1"``, ``"second to last" -> "-2"``."""
    tokens = _TOKEN_RE.findall(text.lower())
    if any(t in _LAST_WORDS for t in tokens):
        before = [t for t in tokens if t in _ORDINAL_WORDS and _ORDINAL_WORDS[t] > 1]
        return f"-{_ORDINAL_WORDS[before[0]]}" if before else "-1"
    if "penultimate" in tokens:
        return "-2"
    for token in tokens:
        suffix = re.fullmatch(r"(\d+)(?:st|nd|rd|th)?", token)
        if suffix:
            return suffix.group(1)
        if token in _ORDINAL_WORDS:
            return str(_ORDINAL_WORDS[token])
        if token in _UNITS and token not in {"a", "an", "zero"}:
            return str(_UNITS[token])
    return None


def normalise_text(text: str) -> str:
    """Lower-cased surface text with single spaces (canonicalisation is retrieval's job)."""
    return " ".join(text.lower().split())


def normalise_value(entity: str, text: str) -> str:
    """The contract value of one extracted entity; falls back to the cleaned surface text."""
    if entity in {"price_min", "price_max"}:
        value = normalise_price(text, entity)
    elif entity == "ordinal":
        value = normalise_ordinal(text)
    else:
        value = None
    return value if value is not None else normalise_text(text)
