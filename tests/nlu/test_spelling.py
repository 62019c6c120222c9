"""Spelling correction before the model reads a message, and the typing noise it is measured with."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from nlu.noise import misspell, noise_words
from nlu.spelling import SpellingCorrector

SHOP = {"sneakers": 40, "black": 90, "tshirt": 30, "jeans": 50, "adidas": 12, "kurta": 20, "show": 200, "me": 300}


@pytest.fixture(scope="module")
def speller() -> SpellingCorrector:
    return SpellingCorrector(SHOP)


@pytest.mark.parametrize(("typed", "meant"), [
    ("blak", "black"), ("snekers", "sneakers"), ("addidas", "adidas"), ("jens", "jeans"), ("tshrt", "tshirt"),
    ("Blak", "Black"), ("kurtaa", "kurta"),
])
def test_typos_become_shop_words(speller: SpellingCorrector, typed: str, meant: str) -> None:
    assert speller.correct(typed) == meant


@pytest.mark.parametrize("word", ["sister", "hunting", "woollen", "gucci", "xl", "42", "t-shirt", "sneakers"])
def test_known_short_or_unmatched_words_stay(speller: SpellingCorrector, word: str) -> None:
    assert speller.correct(word) == word


def test_whole_text_keeps_spacing_and_numbers(speller: SpellingCorrector) -> None:
    assert speller.correct_text("show me blak snekers under 50!") == "show me black sneakers under 50!"


def test_vocabulary_round_trip(tmp_path: Path, speller: SpellingCorrector) -> None:
    speller.save(tmp_path / "vocabulary.json")
    assert SpellingCorrector.load(tmp_path / "vocabulary.json").correct("snekers") == "sneakers"


def test_noise_is_deterministic_and_keeps_words_in_place() -> None:
    words = ("show", "me", "black", "running", "shoes", "under", "50")
    first = noise_words(words, random.Random(7))
    assert first == noise_words(words, random.Random(7))
    assert len(first) == len(words) and first != list(words)
    assert first[1] == "me" and first[6] == "50"  # short words and numbers are never touched


def test_each_misspelling_is_one_edit_of_the_three_kinds() -> None:
    rng = random.Random(3)
    kinds = set()
    for _ in range(200):
        typo = misspell("trousers", rng)
        if len(typo) == 7:
            kinds.add("dropped")
        elif len(typo) == 9:
            kinds.add("doubled")
        else:
            assert sum(a != b for a, b in zip(typo, "trousers", strict=True)) == 1
            kinds.add("neighbour")
    assert kinds == {"dropped", "doubled", "neighbour"}


def test_neighbours_choose_between_equally_close_words(speller: SpellingCorrector) -> None:
    assert speller.correct_text("thans again") == "thanks again"
    assert speller.correct_text("i doon't like it") == "i don't like it"
