"""Evaluation metrics of the joint task: intent accuracy, seqeval slot micro-F1, sentence accuracy.

Why sentence accuracy too: a turn is only handled right when the intent *and* every slot are
right, which is what the dialogue actually experiences.
"""

from __future__ import annotations

from collections.abc import Sequence

from seqeval.metrics import f1_score, precision_score, recall_score


def joint_metrics(
    gold_intents: Sequence[str],
    gold_tags: Sequence[Sequence[str]],
    pred_intents: Sequence[str],
    pred_tags: Sequence[Sequence[str]],
) -> dict[str, float]:
    """Fractions in 0..1 over aligned gold/predicted sequences (one tag per word)."""
    n = len(gold_intents)
    if not n or not (n == len(gold_tags) == len(pred_intents) == len(pred_tags)):
        raise ValueError(f"need equally long non-empty inputs, got {n}, {len(gold_tags)}, {len(pred_intents)}, {len(pred_tags)}")
    gold = [list(t) for t in gold_tags]
    pred = [list(t) for t in pred_tags]
    intent_ok = [g == p for g, p in zip(gold_intents, pred_intents, strict=True)]
    slots_ok = [g == p for g, p in zip(gold, pred, strict=True)]
    has_entities = any(t != "O" for seq in gold + pred for t in seq)
    return {
        "intent_accuracy": sum(intent_ok) / n,
        "slot_f1": float(f1_score(gold, pred)) if has_entities else 1.0,
        "slot_precision": float(precision_score(gold, pred)) if has_entities else 1.0,
        "slot_recall": float(recall_score(gold, pred)) if has_entities else 1.0,
        "sentence_accuracy": sum(a and b for a, b in zip(intent_ok, slots_ok, strict=True)) / n,
        "count": n,
    }
