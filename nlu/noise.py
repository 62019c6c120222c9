"""Deterministic typing noise for robustness tests: keyboard-neighbour substitutions, dropped and doubled letters.

Why words stay words: the noise changes letters inside a word and never splits or joins words, so
a noised sentence keeps the word-level intent and BIO tags of the clean one and the two can be
scored against the same labels.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nlu.data import Example
    from nlu.spelling import SpellingCorrector

KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
WORD_RATE = 0.25
MIN_LETTERS = 4


def _neighbours() -> dict[str, str]:
    """Letters next to each letter on a QWERTY keyboard (same row and the rows above and below)."""
    position = {ch: (r, c) for r, row in enumerate(KEYBOARD_ROWS) for c, ch in enumerate(row)}
    near: dict[str, str] = {}
    for ch, (r, c) in position.items():
        near[ch] = "".join(o for o, (r2, c2) in position.items() if o != ch and abs(r2 - r) <= 1 and abs(c2 - c) <= 1)
    return near


NEIGHBOURS = _neighbours()


def misspell(word: str, rng: random.Random) -> str:
    """One typo in ``word``: a neighbouring key, a dropped letter or a doubled letter (a third each)."""
    letters = [i for i, ch in enumerate(word) if ch.lower() in NEIGHBOURS]
    if not letters:
        return word
    i = rng.choice(letters)
    kind = rng.randrange(3)
    if kind == 0:
        replacement = rng.choice(NEIGHBOURS[word[i].lower()])
        return word[:i] + (replacement.upper() if word[i].isupper() else replacement) + word[i + 1:]
    if kind == 1 and len(word) > 1:
        return word[:i] + word[i + 1:]
    return word[:i + 1] + word[i] + word[i + 1:]


def noise_words(words: Sequence[str], rng: random.Random, rate: float = WORD_RATE) -> list[str]:
    """Misspell each word of at least ``MIN_LETTERS`` letters with probability ``rate``; at least one per sentence."""
    candidates = [i for i, w in enumerate(words) if sum(ch.isalpha() for ch in w) >= MIN_LETTERS]
    chosen = {i for i in candidates if rng.random() < rate}
    if candidates and not chosen:
        chosen = {rng.choice(candidates)}
    return [misspell(w, rng) if i in chosen else w for i, w in enumerate(words)]


def with_typing_noise(examples: Sequence[Example], speller: SpellingCorrector, rate: float, rng: random.Random) -> list[Example]:
    """A copy of ``examples`` in which a share ``rate`` is typed with typos and then spell-corrected.

    Why corrected: at inference the model reads the corrector's output, so it should learn from the
    corrector's residual mistakes ("lage" read as "large"), not from raw typos it will never see.
    Labels stay valid because both steps keep every word in place.
    """
    from nlu.data import Example

    noisy: list[Example] = []
    for example in examples:
        if rate > 0 and rng.random() < rate:
            words = tuple(speller.correct_words(noise_words(example.words, rng)))
            noisy.append(Example(words, example.tags, example.intent))
        else:
            noisy.append(example)
    return noisy
