"""Evaluation metrics of the joint task: intent accuracy, seqeval slot micro-F1, sentence accuracy.

Why sentence accuracy too: a turn is only handled right when the intent *and* every slot are
right, which is what the dialogue actually experiences.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from seqeval.metrics import f1_score, precision_score, recall_score

from nlu.data import Span, entity_label, spans_to_tags

FALLBACK_INTENT = "nlu_fallback"


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


def best_real_intent(parsed: dict[str, Any]) -> str:
    """The model's own intent of a Rasa parse: the top of the ranking, whatever the fallback classifier said."""
    ranking = [r["name"] for r in parsed.get("intent_ranking", []) if r.get("name") != FALLBACK_INTENT]
    return str(ranking[0] if ranking else (parsed.get("intent") or {}).get("name"))


def parsed_spans(parsed: dict[str, Any]) -> list[Span]:
    """The entities of a Rasa parse as spans labelled ``entity`` or ``entity.role``."""
    return [Span(e["start"], e["end"], entity_label(e["entity"], e.get("role"))) for e in parsed.get("entities", [])
            if isinstance(e.get("start"), int) and isinstance(e.get("end"), int)]


def score_rasa_parses(gold: Sequence[tuple[str, Sequence[Span], str]], parsed: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Joint metrics of Rasa ``/model/parse`` results against annotated examples (text, spans, intent).

    ``intent_accuracy`` scores the model's own intent; ``intent_accuracy_after_fallback`` the final
    one, where a low-confidence message counts as wrong because it became ``nlu_fallback``.
    """
    gold_intents, gold_tags, raw_intents, final_intents, pred_tags = [], [], [], [], []
    for (text, spans, intent), result in zip(gold, parsed, strict=True):
        gold_intents.append(intent)
        gold_tags.append(list(spans_to_tags(text, spans)[1]))
        final_intents.append(str((result.get("intent") or {}).get("name")))
        raw_intents.append(best_real_intent(result))
        pred_tags.append(list(spans_to_tags(text, parsed_spans(result))[1]))
    scores = joint_metrics(gold_intents, gold_tags, raw_intents, pred_tags)
    scores["intent_accuracy_after_fallback"] = joint_metrics(gold_intents, gold_tags, final_intents, pred_tags)["intent_accuracy"]
    return scores


def parse_matches(text: str, spans: Sequence[Span], intent: str, parsed: dict[str, Any]) -> bool:
    """True when a Rasa parse has exactly the given final intent and the same entity words and labels."""
    if str((parsed.get("intent") or {}).get("name")) != intent:
        return False
    return spans_to_tags(text, spans)[1] == spans_to_tags(text, parsed_spans(parsed))[1]
