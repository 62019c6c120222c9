"""Word-level spelling correction ("blak snekers" -> "black sneakers") with SymSpell.

Why before the model: a fine-tuned BERT sees "snekers" as unfamiliar word pieces and loses both
the intent and the slot; on a typo-noised copy of the held-out set that cost about 15 points.
Why two vocabularies: the shop's own words (the training sentences, which carry the catalog's
colours, types and brands) must win over English look-alikes ("snekers" is one edit from
"seekers" and from "sneakers"), while a general English dictionary (symspellpy's word frequency
list, the top ``GENERAL_WORDS`` words) keeps ordinary words ("sister", "hunting") from being
"corrected" into shop words. A word is left alone when it is known, short, not purely alphabetic
or has no candidate within the edit limit, so new brand names pass through untouched.
Needs only symspellpy and the standard library: the Rasa environment runs this too.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from symspellpy import SymSpell, Verbosity

_WORD = re.compile(r"[a-z]+")
MIN_LENGTH = 3
GENERAL_WORDS = 90_000
DOMAIN_BOOST = 10**12  # a shop word beats any English word at the same edit distance
GENERAL_DICTIONARY = "frequency_dictionary_en_82_765.txt"
BIGRAM_DICTIONARY = "frequency_bigramdictionary_en_243_342.txt"
# What stands before "n't": "doon't" must become "don't", not "down't".
NEGATED = frozenset({"don", "doesn", "didn", "isn", "aren", "wasn", "weren", "won", "wouldn", "couldn", "shouldn",
                     "can", "haven", "hasn", "hadn", "ain", "mustn", "needn"})


def max_edits(word: str) -> int:
    """How many edits a word may be from its correction: 1 up to 5 letters, else 2."""
    return 1 if len(word) <= 5 else 2


def general_dictionary(limit: int = GENERAL_WORDS) -> Iterable[tuple[str, int]]:
    """The most frequent English words with their counts, from the file symspellpy ships."""
    path = resources.files("symspellpy") / GENERAL_DICTIONARY
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            if number >= limit:
                break
            word, count = line.split()
            yield word, int(count)


def bigram_dictionary() -> dict[tuple[str, str], int]:
    """Counts of common English word pairs ("thanks again"), from the file symspellpy ships."""
    path = resources.files("symspellpy") / BIGRAM_DICTIONARY
    pairs: dict[tuple[str, str], int] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            first, second, count = line.split()
            pairs[(first, second)] = int(count)
    return pairs


@lru_cache(maxsize=2)
def general_speller(limit: int = GENERAL_WORDS) -> tuple[SymSpell, frozenset[str]]:
    """The English dictionary as a SymSpell index and a word set, built once per process (read-only afterwards)."""
    speller = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
    words = []
    for word, count in general_dictionary(limit):
        speller.create_dictionary_entry(word, count)
        words.append(word)
    return speller, frozenset(words)


class SpellingCorrector:
    """Shop words (boosted) plus general English words; ``correct`` maps an unknown word to the closest known one."""

    def __init__(self, domain_counts: dict[str, int], *, general_words: int = GENERAL_WORDS) -> None:
        self.domain_counts = {w: int(c) for w, c in domain_counts.items() if w and w.isalpha()}
        # Two dictionaries: English is built once per process (about 5 s) and shared by every corrector,
        # so a catalog reloaded while serving costs only its own words.
        self._general, self._english = general_speller(general_words)
        self._domain = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
        for word, count in self.domain_counts.items():
            self._domain.create_dictionary_entry(word, DOMAIN_BOOST * max(count, 1))
        self._cache: dict[str, list[str]] = {}
        self._pairs: dict[tuple[str, str], int] | None = None

    @classmethod
    def from_texts(cls, texts: Iterable[str], **kwargs: int) -> SpellingCorrector:
        """Shop vocabulary: lower-cased alphabetic words of ``texts`` with their counts."""
        return cls(dict(Counter(w for text in texts for w in _WORD.findall(text.lower()))), **kwargs)

    def __contains__(self, word: str) -> bool:
        return self._is_known(word.lower())

    def _is_known(self, lowered: str) -> bool:
        return lowered in self.domain_counts or lowered in self._english

    def candidates(self, lowered: str) -> list[str]:
        """The known words closest to an unknown word (all at the same, smallest distance): shop words first,
        then English ones, each most frequent first."""
        if lowered not in self._cache:
            self._cache[lowered] = [hit.term for hit in self._lookup(lowered, Verbosity.CLOSEST)]
        return self._cache[lowered]

    def _lookup(self, lowered: str, verbosity: Verbosity) -> list[Any]:
        """Hits of both dictionaries; with CLOSEST only those at the smallest distance either has."""
        edits = max_edits(lowered)
        shop = self._domain.lookup(lowered, verbosity, max_edit_distance=edits)
        names = {hit.term for hit in shop}
        english = [hit for hit in self._general.lookup(lowered, verbosity, max_edit_distance=edits) if hit.term not in names]
        hits = sorted(shop, key=lambda h: (h.distance, -h.count)) + sorted(english, key=lambda h: (h.distance, -h.count))
        if verbosity == Verbosity.CLOSEST and hits:
            nearest = min(hit.distance for hit in hits)
            hits = [hit for hit in hits if hit.distance == nearest]
        return hits

    def correct(self, word: str, before: str = "", after: str = "") -> str:
        """The word itself when known or not correctable, else the closest known word (first letter's case kept).

        Among equally close candidates the neighbouring words decide when English has the pair
        ("thans again" -> "thanks again", not "than again"); otherwise the most frequent wins.
        A word with an apostrophe ("doon't") is corrected before the apostrophe.
        """
        head, apostrophe, tail = word.partition("'")
        lowered = head.lower()
        if len(lowered) < MIN_LENGTH or not lowered.isalpha() or (not apostrophe and self._is_known(lowered)):
            return word
        if apostrophe and (self._is_known(lowered) or self._is_known(f"{lowered}'{tail.lower()}")):
            return word
        options = self.candidates(lowered)
        if apostrophe and tail.lower() == "t":
            options = [o for o in options if o in NEGATED] or [o for o in self._negated_near(lowered)] or options
        if not options:
            return word
        corrected = self._in_context(options, before.lower(), after.lower())
        if corrected == lowered:
            return word
        corrected = corrected.capitalize() if head[:1].isupper() else corrected
        return f"{corrected}{apostrophe}{tail}"

    def _negated_near(self, lowered: str) -> list[str]:
        found = self._lookup(lowered, Verbosity.ALL)
        return [hit.term for hit in sorted(found, key=lambda h: h.distance) if hit.term in NEGATED][:1]

    def correct_words(self, words: Sequence[str]) -> list[str]:
        """Every word corrected, each with its neighbours as context."""
        return [self.correct(w, words[i - 1] if i else "", words[i + 1] if i + 1 < len(words) else "") for i, w in enumerate(words)]

    def _in_context(self, options: list[str], before: str, after: str) -> str:
        if len(options) == 1 or not (before or after):
            return options[0]
        if self._pairs is None:
            self._pairs = bigram_dictionary()
        pairs = self._pairs
        context = [pairs.get((before, o), 0) + pairs.get((o, after), 0) for o in options]
        best = max(range(len(options)), key=lambda i: context[i])
        return options[best] if context[best] > 0 else options[0]

    def correct_text(self, text: str) -> str:
        """Every word of ``text`` corrected; everything else (spaces, digits, punctuation) kept."""
        words = list(re.finditer(r"[A-Za-z]+(?:'[A-Za-z]+)?", text))
        fixed = self.correct_words([m.group(0) for m in words])
        out, cursor = [], 0
        for match, replacement in zip(words, fixed, strict=True):
            out += [text[cursor:match.start()], replacement]
            cursor = match.end()
        return "".join(out) + text[cursor:]

    def save(self, path: Path) -> None:
        """Write the shop vocabulary (the general dictionary ships with symspellpy)."""
        path.write_text(json.dumps(self.domain_counts, sort_keys=True), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> SpellingCorrector:
        return cls({str(k): int(v) for k, v in json.loads(path.read_text(encoding="utf-8")).items()})
