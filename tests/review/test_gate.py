"""The retrain gate's verdict and its undo of a refused export (review/gate.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from review.gate import Verdict, decide, restore, sign_test_p, snapshot

HELD_OUT = 245


def verdict(fixed: int, broken: int, *, entity_f1: tuple[float, float] = (0.88, 0.88), failed: list[str] | None = None) -> Verdict:
    """A candidate that fixes ``fixed`` held-out intents the running model got wrong and breaks ``broken`` it got right."""
    before = [True] * 200 + [False] * (HELD_OUT - 200)
    after = list(before)
    for i in range(broken):
        after[i] = False
    for i in range(fixed):
        after[200 + i] = True
    v = Verdict(candidate="models/new.tar.gz", current="models/old.tar.gz")
    v.right = {"current": {"intent": before, "entities": [True] * HELD_OUT}, "candidate": {"intent": after, "entities": [True] * HELD_OUT}}
    v.scores = {"current": {"intent_accuracy": sum(before) / HELD_OUT, "slot_f1": entity_f1[0]},
                "candidate": {"intent_accuracy": sum(after) / HELD_OUT, "slot_f1": entity_f1[1]}}
    failed = failed or []
    v.stories = {"total": 103, "failed": failed, "reviewed_failed": [s for s in failed if s.startswith("reviewed")]}
    return v


def test_the_sign_test() -> None:
    assert sign_test_p(0, 0) == 1.0
    assert sign_test_p(8, 5) == pytest.approx(0.2905, abs=1e-4)  # a swing retraining causes by itself
    assert sign_test_p(8, 0) == pytest.approx(1 / 256)


@pytest.mark.parametrize(("fixed", "broken", "f1", "failed", "shipped", "says"), [
    (3, 1, (0.88, 0.881), [], True, ""),
    (5, 8, (0.88, 0.88), [], True, ""),  # -1.2 points, but as many messages move each way by chance
    (0, 8, (0.88, 0.88), [], False, "held-out intent significantly worse: 8 messages broken, 0 fixed"),
    (10, 16, (0.88, 0.88), [], False, "intent accuracy fell -2.4 points"),
    (3, 1, (0.88, 0.85), [], False, "entity F1 fell -3.0 points"),
    (3, 1, (0.88, 0.88), ["reviewed conversation 4"], False, "reviewed stories fail: reviewed conversation 4"),
    (3, 1, (0.88, 0.88), ["add a colour to a search"], False, "1 other test stories fail"),
])
def test_the_gate_ships_only_a_model_that_is_not_worse(fixed: int, broken: int, f1: tuple[float, float], failed: list[str],
                                                       shipped: bool, says: str) -> None:
    v = verdict(fixed, broken, entity_f1=f1, failed=failed)
    decide(v, max_drop=2.0, alpha=0.05)
    assert v.shipped is shipped, v.reasons
    assert says in " ".join(v.reasons)
    assert v.changes["intent"] == {"fixed": fixed, "broken": broken, "p": round(sign_test_p(broken, fixed), 4)}


def test_a_refused_export_is_put_back(tmp_path: Path) -> None:
    nlu = tmp_path / "training_data/nlu/reviewed.yml"
    nlu.parent.mkdir(parents=True)
    nlu.write_text("before")
    saved = snapshot(tmp_path)
    nlu.write_text("after")
    story = tmp_path / "tests/conversations/test_reviewed.yml"
    story.parent.mkdir(parents=True)
    story.write_text("new")
    restore(saved)
    assert nlu.read_text() == "before" and not story.exists()
