"""The held-out NLU set is frozen, and nothing in the training data paraphrases it.

Why: every NLU figure in the README is scored on tests/nlu/heldout.yml. If the file changed
silently, or training lines crept close to its lines, the figures would measure memory instead of
understanding. A change to the file is a deliberate commit that says why; update HELD_OUT_SHA256 in
that commit (its history: d305cc3 wrote it; 3420019 tagged the attribute word in two lines,
"the [colour](attribute) doesn't matter anymore" and "scrap the [budget](attribute)", the
annotation every other remove_constraint line uses).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

from nlu.data import example_lines
from nlu.overlap import near_duplicates
from shop.settings import REPO_ROOT

HELD_OUT = REPO_ROOT / "tests" / "nlu" / "heldout.yml"
HELD_OUT_SHA256 = "0e01c53c1460b2d87c37b62ed5523689312fec83ea849b2c0c6458c01ac72ed8"
TRAINING = REPO_ROOT / "training_data" / "nlu"


def lines_of(path: Path) -> list[str]:
    return [line for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []
            for line in example_lines(str(block.get("examples", "")))]


def test_held_out_file_is_unchanged() -> None:
    digest = hashlib.sha256(HELD_OUT.read_bytes()).hexdigest()
    assert digest == HELD_OUT_SHA256, "tests/nlu/heldout.yml changed: only a deliberate commit that says why may change it"


def test_no_training_line_paraphrases_a_held_out_line() -> None:
    held = lines_of(HELD_OUT)
    assert len(held) == 245
    clashes = [(f.name, line, other, round(similarity, 2)) for f in sorted(TRAINING.glob("*.yml"))
               for line, other, similarity in near_duplicates(lines_of(f), held)]
    assert clashes == []


def test_the_check_catches_paraphrases_with_other_values_and_punctuation() -> None:
    held = ["what's the [colour](attribute) of the [second](ordinal) one", "thanks so much"]
    assert near_duplicates(["what is the [brand](attribute) of the [2nd](ordinal) one"], held)
    assert near_duplicates(["Thanks so much!"], held)
    assert not near_duplicates(["[red](color) [shoes](product_type)"], ["[blue](color) [shirts](product_type)"])
    assert not near_duplicates(["show me the third one"], held)
