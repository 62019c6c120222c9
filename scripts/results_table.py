"""Regenerate the README's results table from benchmarks/results/*.json.

Why generated: the numbers in the README must be the ones the benchmarks last wrote, never typed
by hand. The table sits between the markers <!-- results:start --> and <!-- results:end -->.

Usage: python scripts/results_table.py [--check]   (--check exits 1 when the README is stale)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS = REPO_ROOT / "benchmarks" / "results"
README = REPO_ROOT / "README.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"

# (results file, dotted key, label, unit: "pct" | "ms" | "s" | "x" | "" , target text)
ROWS: list[tuple[str, str, str, str, str]] = [
    ("nlu", "heldout.ours.intent_accuracy", "NLU held-out intent accuracy (ours)", "pct", "≥ DIET"),
    ("nlu", "heldout.diet.intent_accuracy", "NLU held-out intent accuracy (Rasa DIET, stock 100 epochs)", "pct", ""),
    ("nlu", "heldout.diet_30_epochs.intent_accuracy", "NLU held-out intent accuracy (Rasa DIET, 30 epochs)", "pct", ""),
    ("nlu", "heldout.ours.slot_f1", "NLU held-out slot F1 (ours)", "pct", "≥ DIET"),
    ("nlu", "heldout.diet.slot_f1", "NLU held-out slot F1 (Rasa DIET, stock 100 epochs)", "pct", ""),
    ("nlu", "heldout.diet_30_epochs.slot_f1", "NLU held-out slot F1 (Rasa DIET, 30 epochs)", "pct", ""),
    ("nlu", "shop_dev_pooling.mean.intent_accuracy", "Shop dev split intent accuracy, mean pooling (3 seeds)", "pct", ""),
    ("nlu", "shop_dev_pooling.cls.intent_accuracy", "Shop dev split intent accuracy, [CLS] pooling (3 seeds)", "pct", ""),
    ("nlu", "shop_dev_pooling.mean.slot_f1", "Shop dev split slot F1, mean pooling (3 seeds)", "pct", ""),
    ("nlu", "shop_dev_pooling.cls.slot_f1", "Shop dev split slot F1, [CLS] pooling (3 seeds)", "pct", ""),
    ("nlu", "atis.intent_accuracy", "ATIS intent accuracy (ours, 22.7M params, pooling chosen on dev)", "pct", "≥ 97.5 %"),
    ("nlu", "atis.pooling_variants.mean.intent_accuracy", "ATIS intent accuracy (ours, mean pooling)", "pct", ""),
    ("nlu", "atis.pooling_variants.cls.intent_accuracy", "ATIS intent accuracy (ours, [CLS] pooling)", "pct", ""),
    ("nlu", "atis.published_jointbert_base.intent_accuracy", "ATIS intent accuracy (published JointBERT, 110M)", "pct", ""),
    ("nlu", "atis.slot_f1", "ATIS slot F1 (ours, pooling chosen on dev)", "pct", "≥ 95.5 %"),
    ("nlu", "atis.pooling_variants.mean.slot_f1", "ATIS slot F1 (ours, mean pooling)", "pct", ""),
    ("nlu", "atis.pooling_variants.cls.slot_f1", "ATIS slot F1 (ours, [CLS] pooling)", "pct", ""),
    ("nlu", "atis.published_jointbert_base.slot_f1", "ATIS slot F1 (published JointBERT)", "pct", ""),
    ("nlu", "atis.sentence_accuracy", "ATIS sentence accuracy (ours, pooling chosen on dev)", "pct", ""),
    ("nlu", "atis.published_jointbert_base.sentence_accuracy", "ATIS sentence accuracy (published JointBERT)", "pct", ""),
    ("nlu", "snips.intent_accuracy", "SNIPS intent accuracy (ours, pooling chosen on dev)", "pct", ""),
    ("nlu", "snips.pooling_variants.mean.intent_accuracy", "SNIPS intent accuracy (ours, mean pooling)", "pct", ""),
    ("nlu", "snips.pooling_variants.cls.intent_accuracy", "SNIPS intent accuracy (ours, [CLS] pooling)", "pct", ""),
    ("nlu", "snips.published_jointbert_base.intent_accuracy", "SNIPS intent accuracy (published JointBERT)", "pct", ""),
    ("nlu", "snips.slot_f1", "SNIPS slot F1 (ours, pooling chosen on dev)", "pct", ""),
    ("nlu", "snips.pooling_variants.mean.slot_f1", "SNIPS slot F1 (ours, mean pooling)", "pct", ""),
    ("nlu", "snips.pooling_variants.cls.slot_f1", "SNIPS slot F1 (ours, [CLS] pooling)", "pct", ""),
    ("nlu", "snips.published_jointbert_base.slot_f1", "SNIPS slot F1 (published JointBERT)", "pct", ""),
    ("nlu", "snips.sentence_accuracy", "SNIPS sentence accuracy (ours, pooling chosen on dev)", "pct", ""),
    ("nlu", "snips.published_jointbert_base.sentence_accuracy", "SNIPS sentence accuracy (published JointBERT)", "pct", ""),
    ("nlu", "latency_ms.p50", "NLU latency p50 (1 thread)", "ms", "≤ 8 ms"),
    ("nlu", "latency_ms.p95", "NLU latency p95 (1 thread)", "ms", ""),
    ("nlu_serving", "in_process_ms.p50", "NLU per message in-process (ONNX Runtime, as shipped), p50", "ms", ""),
    ("nlu_serving", "http_service_ms.p50", "NLU per message through an HTTP service (httpx), p50", "ms", ""),
    ("nlu", "rasa_train_seconds", "`rasa train` incl. fine-tune", "s", "≤ 600 s"),
    ("retrieval", "ingest.myntra_seconds", "Full Myntra ingest (44k, SQL + embed + index)", "s", "≤ 300 s"),
    ("retrieval", "scale_1m.filtered.p99_ms", "1M vectors, filtered p99", "ms", "≤ 10 ms"),
    ("retrieval", "scale_1m.filtered.recall_at_10", "1M vectors, filtered recall@10", "pct", "≥ 95 %"),
    ("retrieval", "scale_1m.unfiltered.p99_ms", "1M vectors, unfiltered p99", "ms", ""),
    ("retrieval", "scale_1m.unfiltered.recall_at_10", "1M vectors, unfiltered recall@10", "pct", ""),
    ("retrieval", "quality.semantic_p_at_10", "Attribute P@10, semantic only", "pct", ""),
    ("retrieval", "quality.lexical_p_at_10", "Attribute P@10, lexical only", "pct", ""),
    ("retrieval", "quality.hybrid_p_at_10", "Attribute P@10, hybrid", "pct", "> both"),
    ("dialogue", "single.p50_ms", "Turn latency, 1 customer, p50", "ms", ""),
    ("dialogue", "single.p95_ms", "Turn latency, 1 customer, p95", "ms", ""),
    ("dialogue", "concurrent_20.p50_ms", "Turn latency, 20 concurrent, p50", "ms", "≤ 150 ms"),
    ("dialogue", "concurrent_20.p95_ms", "Turn latency, 20 concurrent, p95", "ms", "≤ 400 ms"),
    ("dialogue", "concurrent_20.errors", "Errors, 20 concurrent", "", "0"),
    ("feedback", "with_feedback.success_at_5", "Simulated customers: found within 5 turns, with feedback", "pct", "≥ 2× without"),
    ("feedback", "without_feedback.success_at_5", "Simulated customers: found within 5 turns, without feedback", "pct", ""),
    ("feedback", "with_feedback.mean_turns", "Mean turns to target, with feedback", "", ""),
    ("feedback", "without_feedback.mean_turns", "Mean turns to target, without feedback", "", ""),
    ("load", "concurrent_20.p95_ms", "Production mode, 20 concurrent, p95", "ms", "≤ 400 ms"),
    ("load", "concurrent_20.lost_turns", "Production mode, 20 concurrent, lost turns", "", "0"),
    ("load", "concurrent_50.p95_ms", "Production mode, 50 concurrent, p95", "ms", ""),
    ("load", "concurrent_50.lost_turns", "Production mode, 50 concurrent, lost turns", "", "0"),
    ("load", "fuzz.messages", "Fuzzed hostile messages", "", "≥ 10,000"),
    ("load", "fuzz.server_errors", "Server errors under fuzzing", "", "0"),
]


def lookup(data: dict[str, Any], dotted: str) -> Any:
    value: Any = data
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def fmt(value: Any, unit: str) -> str:
    if value is None:
        return "not measured yet"
    if unit == "pct":
        return f"{100 * float(value):.1f} %"
    if unit == "ms":
        return f"{float(value):.1f} ms"
    if unit == "s":
        return f"{float(value):.0f} s"
    return f"{value:,}" if isinstance(value, int) else (f"{value:.2f}" if isinstance(value, float) else str(value))


def table() -> str:
    loaded = {path.stem: json.loads(path.read_text()) for path in sorted(RESULTS.glob("*.json"))}
    lines = ["| measurement | result | target | source |", "|---|---|---|---|"]
    for name, key, label, unit, target in ROWS:
        lines.append(f"| {label} | {fmt(lookup(loaded.get(name, {}), key), unit)} | {target} | `{name}.json` |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    text = README.read_text()
    if START not in text or END not in text:
        print(f"error: README.md lacks the markers {START} / {END}", file=sys.stderr)
        return 2
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    updated = f"{head}{START}\n{table()}\n{END}{tail}"
    if "--check" in argv:
        if updated != text:
            print("README.md results table is stale: run scripts/results_table.py", file=sys.stderr)
            return 1
        print("README results table matches benchmarks/results")
        return 0
    README.write_text(updated)
    print(f"README results table regenerated from {len(list(RESULTS.glob('*.json')))} result files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
