"""Word splitting shared by training and inference (standard library only).

Why a module of its own: the BIO labels are attached to *words*, so the trainer and the ONNX
runtime must cut a sentence into exactly the same words, with character offsets that Rasa can
use for entity ``start``/``end``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Numbers first (so "20-40" is "20", "-", "40"), then words that may carry inner hyphens or
# apostrophes ("t-shirt", "men's"), then any other single non-space character ("$", "?").
_WORD_RE = re.compile(r"\d+(?:[.,]\d+)*|[^\W_]+(?:['\u2019-][^\W_]+)*|\S")


@dataclass(frozen=True)
class Word:
    """One word of a sentence with its character span ``text[start:end]``."""

    text: str
    start: int
    end: int


def split_words(text: str) -> list[Word]:
    """Cut ``text`` into words with offsets; whitespace never belongs to a word."""
    return [Word(m.group(0), m.start(), m.end()) for m in _WORD_RE.finditer(text)]
