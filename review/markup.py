"""Rasa's training-data markup for a message and its entity spans (the writer; ``nlu.data`` reads it)."""

from __future__ import annotations

import json
import re
from typing import Any

# Characters that would open markup of their own inside a plain stretch of text.
_MARKUP_CHARS = re.compile(r"[\[\]{}()]")


def plain(text: str) -> str:
    """One line of text Rasa's YAML reader takes literally: no markup characters, no line breaks."""
    return re.sub(r"\s+", " ", _MARKUP_CHARS.sub(" ", text)).strip()


def annotate(text: str, entities: list[dict[str, Any]]) -> str:
    """``text`` with ``[value](entity)`` or ``[value]{"entity": .., "role": ..}`` around each span.

    Spans are [start, end) offsets into ``text``; they must not overlap (``review.corrections``
    checks that before a correction is stored). The text between spans is made plain; each span's
    own characters are kept and only markup characters inside it are replaced.
    """
    parts: list[str] = []
    cursor = 0
    for span in sorted(entities, key=lambda e: int(e["start"])):
        start, end = int(span["start"]), int(span["end"])
        parts.append(_MARKUP_CHARS.sub(" ", text[cursor:start]))
        value = plain(text[start:end])
        role = span.get("role")
        label = json.dumps({"entity": span["entity"], "role": role}) if role else f"({span['entity']})"
        parts.append(f"[{value}]{label}")
        cursor = end
    parts.append(_MARKUP_CHARS.sub(" ", text[cursor:]))
    return re.sub(r"\s+", " ", "".join(parts)).strip()
