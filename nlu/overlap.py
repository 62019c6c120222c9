"""Near-duplicates between training lines and the frozen held-out set, after entity values are masked.

Why masked: "show me [red](color) [dresses](product_type)" and "show me [blue](color) [shirts](product_type)"
are the same sentence to the model; comparing them with their values would let paraphrases of a
held-out line slip into training. Why a similarity and not equality: "thanks so much!" and
"thanks so much" teach the same thing. Imported data is filtered with this, and a test fails when
any training line comes this close to a held-out line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from nlu.data import parse_annotated

MIN_SIMILARITY = 0.9
"""Normalised Levenshtein similarity (1 - distance / longer length) from which two lines are the same."""
MIN_OWN_WORDS = 3
"""A held-out line is compared masked only when it has this many words of its own besides entities:
"<color> <product_type>" is every catalog query's shape, not a sentence anyone can paraphrase."""


def masked(line: str) -> str:
    """An annotated line with every entity value replaced by its entity name, lower-cased, punctuation dropped."""
    text, spans = parse_annotated(line)
    for span in sorted(spans, key=lambda s: s.start, reverse=True):
        text = f"{text[:span.start]}<{span.label.split('.')[0]}>{text[span.end:]}"
    return " ".join(re.findall(r"<\w+>|[a-z0-9']+", text.lower()))


def plain(line: str) -> str:
    """An annotated line as the customer typed it, lower-cased, punctuation dropped."""
    return " ".join(re.findall(r"[a-z0-9']+", parse_annotated(line)[0].lower()))


def own_words(line: str) -> int:
    """How many words of a line are not entity values."""
    return len([w for w in masked(line).split() if not w.startswith("<")])


def near_duplicates(lines: Iterable[str], held_out: Iterable[str], *, min_similarity: float = MIN_SIMILARITY) -> list[tuple[str, str, float]]:
    """(line, held-out line's key, similarity) for every line at least ``min_similarity`` alike to a held-out line.

    Held-out lines with enough words of their own are compared with entity values masked (a
    paraphrase with other colours is still a paraphrase); shorter ones as typed.
    """
    held = list(held_out)
    references = {
        "masked": sorted({masked(h) for h in held if own_words(h) >= MIN_OWN_WORDS}),
        "plain": sorted({plain(h) for h in held if own_words(h) < MIN_OWN_WORDS}),
    }
    found = []
    for line in lines:
        for kind, key in (("masked", masked(line)), ("plain", plain(line))):
            best = process.extractOne(key, references[kind], scorer=Levenshtein.normalized_similarity, score_cutoff=min_similarity)
            if best is not None:
                found.append((line, best[0], float(best[1])))
                break
    return found
