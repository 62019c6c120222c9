"""BIO decoding: constrained Viterbi never emits an orphan I- tag and agrees with arg-max when valid."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from nlu.bio import BioDecoder, allowed_transitions, first_piece_rows, log_softmax, viterbi

LABELS = ["O", "B-color", "I-color", "B-brand", "I-brand"]


def _is_valid(tags: list[str]) -> bool:
    previous = "O"
    for tag in tags:
        if tag.startswith("I-") and previous not in (f"B-{tag[2:]}", tag):
            return False
        previous = tag
    return True


def _logits(rows: list[list[float]]) -> np.ndarray:
    """Piece-level logits: uniform [CLS] and [SEP] rows around one row per word."""
    uniform = [1.0 / len(LABELS)] * len(LABELS)
    return np.log(np.asarray([uniform, *rows, uniform], dtype=np.float64))


def test_transition_masks_forbid_orphan_inside_tags() -> None:
    start, transition = allowed_transitions(LABELS)
    assert start.tolist() == [True, True, False, True, False]
    assert transition[LABELS.index("B-color"), LABELS.index("I-color")]
    assert transition[LABELS.index("I-color"), LABELS.index("I-color")]
    assert not transition[LABELS.index("O"), LABELS.index("I-color")]
    assert not transition[LABELS.index("B-brand"), LABELS.index("I-color")]
    assert transition[LABELS.index("I-brand"), LABELS.index("B-color")]


def test_orphan_inside_tag_is_repaired_to_the_best_valid_sequence() -> None:
    # word 2 slightly prefers I-color after an O: invalid, so the decoder must choose B-color
    probs = [[0.9, 0.05, 0.01, 0.02, 0.02], [0.1, 0.4, 0.45, 0.03, 0.02]]
    decoder = BioDecoder(LABELS)
    tags, confs = decoder.decode(_logits(probs), [None, 0, 1, None], 2)
    assert tags == ["O", "B-color"]
    assert confs[1] == pytest.approx(0.4)
    argmax_tags, _ = BioDecoder(LABELS, constrained=False).decode(_logits(probs), [None, 0, 1, None], 2)
    assert argmax_tags == ["O", "I-color"]


def test_viterbi_matches_brute_force_best_valid_path() -> None:
    rng = np.random.default_rng(7)
    start, transition = allowed_transitions(LABELS)
    for _ in range(30):
        log_probs = log_softmax(rng.normal(size=(4, len(LABELS))))
        best_score, best_path = -np.inf, None
        for path in itertools.product(range(len(LABELS)), repeat=4):
            if not _is_valid([LABELS[i] for i in path]):
                continue
            score = sum(log_probs[t, i] for t, i in enumerate(path))
            if score > best_score:
                best_score, best_path = score, list(path)
        assert viterbi(log_probs, start, transition) == best_path


def test_valid_argmax_sequence_is_kept_unchanged() -> None:
    probs = [[0.1, 0.8, 0.05, 0.03, 0.02], [0.1, 0.05, 0.8, 0.03, 0.02], [0.7, 0.1, 0.1, 0.05, 0.05]]
    tags, _ = BioDecoder(LABELS).decode(_logits(probs), [None, 0, 1, 2, None], 3)
    assert tags == ["B-color", "I-color", "O"]


def test_only_first_piece_speaks_and_cut_words_are_outside() -> None:
    # word 0 has two pieces (rows 1, 2); word 2 was cut by the length limit
    assert first_piece_rows([None, 0, 0, 1, None], 3) == [1, 3, None]
    probs = [[0.1, 0.7, 0.1, 0.05, 0.05], [0.1, 0.1, 0.1, 0.1, 0.6], [0.1, 0.1, 0.7, 0.05, 0.05]]
    tags, confs = BioDecoder(LABELS).decode(_logits(probs), [None, 0, 0, 1, None], 3)
    assert tags == ["B-color", "I-color", "O"]
    assert confs[2] == 1.0


def test_empty_sentence_decodes_to_nothing() -> None:
    assert BioDecoder(LABELS).decode(np.zeros((2, len(LABELS))), [None, None], 0) == ([], [])
