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
    ("nlu", "heldout.diet.intent_accuracy", "NLU held-out intent accuracy (Rasa DIET, stock 100 epochs, same training data)", "pct", ""),
    ("nlu", "heldout.ours.slot_f1", "NLU held-out slot F1 (ours)", "pct", "≥ DIET"),
    ("nlu", "heldout.diet.slot_f1", "NLU held-out slot F1 (Rasa DIET, stock 100 epochs, same training data)", "pct", ""),
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
    ("retrieval", "known_item.myntra.blend.mrr_at_10.value", "Known-item MRR@10, Myntra 44k: hybrid blend, no filters", "", ""),
    ("retrieval", "known_item.myntra.blend.filtered.mrr_at_10.value", "… hybrid blend with the conversation's filters", "", ""),
    ("retrieval", "known_item.myntra.semantic.mrr_at_10.value", "… semantic only, no filters", "", ""),
    ("retrieval", "known_item.myntra.lexical.mrr_at_10.value", "… lexical only, no filters", "", ""),
    ("retrieval", "known_item.myntra.blend_boost.mrr_at_10.value", "… blend + attribute boost (shipped), no filters", "", ""),
    ("retrieval", "known_item.myntra.blend.recall_at_10.value", "Known-item recall@10, Myntra 44k: hybrid blend, no filters", "pct", ""),
    ("retrieval", "known_item.myntra.blend.filtered.recall_at_10.value", "… hybrid blend with the conversation's filters", "pct", ""),
    ("retrieval", "known_item.flipkart.blend.mrr_at_10.value", "Known-item MRR@10, Flipkart 20k: hybrid blend, no filters", "", ""),
    ("retrieval", "known_item.flipkart.blend.filtered.mrr_at_10.value", "… hybrid blend with the conversation's filters", "", ""),
    ("retrieval", "known_item.flipkart.semantic.mrr_at_10.value", "… semantic only, no filters", "", ""),
    ("retrieval", "known_item.flipkart.lexical.mrr_at_10.value", "… lexical only, no filters", "", ""),
    ("retrieval", "known_item.flipkart.blend_boost.mrr_at_10.value", "… blend + attribute boost (shipped), no filters", "", ""),
    ("retrieval", "known_item.flipkart.blend.recall_at_10.value", "Known-item recall@10, Flipkart 20k: hybrid blend, no filters", "pct", ""),
    ("retrieval", "known_item.flipkart.blend.filtered.recall_at_10.value", "… hybrid blend with the conversation's filters", "pct", ""),
    ("retrieval", "known_item.ikea.blend.mrr_at_10.value", "Known-item MRR@10, IKEA 3k: hybrid blend, no filters", "", ""),
    ("retrieval", "known_item.ikea.blend.filtered.mrr_at_10.value", "… hybrid blend with the conversation's filters", "", ""),
    ("retrieval", "known_item.ikea.semantic.mrr_at_10.value", "… semantic only, no filters", "", ""),
    ("retrieval", "known_item.ikea.lexical.mrr_at_10.value", "… lexical only, no filters", "", ""),
    ("retrieval", "known_item.ikea.blend_boost.mrr_at_10.value", "… blend + attribute boost (shipped), no filters", "", ""),
    ("retrieval", "known_item.ikea.blend.recall_at_10.value", "Known-item recall@10, IKEA 3k: hybrid blend, no filters", "pct", ""),
    ("retrieval", "known_item.ikea.blend.filtered.recall_at_10.value", "… hybrid blend with the conversation's filters", "pct", ""),
    ("retrieval", "flipkart_category.blend.ndcg_at_10.value", "Flipkart category names, NDCG@10: hybrid blend, no filters", "", ""),
    ("retrieval", "flipkart_category.blend.filtered.ndcg_at_10.value", "… hybrid blend with the conversation's filters", "", ""),
    ("retrieval", "flipkart_category.semantic.ndcg_at_10.value", "… semantic only, no filters", "", ""),
    ("retrieval", "flipkart_category.lexical.ndcg_at_10.value", "… lexical only, no filters", "", ""),
    ("retrieval", "flipkart_category.blend_boost.ndcg_at_10.value", "… blend + attribute boost (shipped), no filters", "", ""),
    ("retrieval", "scale_real.ivf.recall_at_10", "Real catalog vectors (3 catalogs), IVF nprobe 32, recall@10", "pct", ""),
    ("retrieval", "scale_real.ivf.p99_ms", "Real catalog vectors, IVF nprobe 32, p99", "ms", ""),
    ("retrieval", "scale_real.ivf.filtered.recall_at_10", "Real catalog vectors, IVF with the conversation's filters, recall@10", "pct", ""),
    ("retrieval", "scale_real.ivf.filtered.p99_ms", "Real catalog vectors, IVF with the conversation's filters, p99", "ms", ""),
    ("retrieval", "scale_1m.filtered.p99_ms", "1M vectors fitted to the real ones, filtered p99", "ms", "≤ 10 ms"),
    ("retrieval", "scale_1m.filtered.recall_at_10", "1M vectors fitted to the real ones, filtered recall@10", "pct", "≥ 95 %"),
    ("retrieval", "scale_1m.unfiltered.p99_ms", "1M vectors fitted to the real ones, unfiltered p99", "ms", ""),
    ("retrieval", "scale_1m.unfiltered.recall_at_10", "1M vectors fitted to the real ones, unfiltered recall@10", "pct", ""),
    ("retrieval", "scale_real.relative_contrast.contrast_at_10", "Relative contrast at the 10th neighbour, real vectors (67k)", "", ""),
    ("retrieval", "scale_1m.relative_contrast_at_real_n.contrast_at_10", "… fitted set, subsample of the same size", "", "≤ real"),
    ("retrieval", "scale_1m.relative_contrast.contrast_at_10", "… fitted set, all 1M", "", ""),
    ("dialogue", "single.p50_ms", "Turn latency, 1 customer, p50", "ms", ""),
    ("dialogue", "single.p95_ms", "Turn latency, 1 customer, p95", "ms", ""),
    ("dialogue", "concurrent_20.p50_ms", "Turn latency, 20 concurrent, p50", "ms", "≤ 150 ms"),
    ("dialogue", "concurrent_20.p95_ms", "Turn latency, 20 concurrent, p95", "ms", "≤ 400 ms"),
    ("dialogue", "concurrent_20.errors", "Errors, 20 concurrent", "", "0"),
    ("turn_cost", "vs_stock.single_p50_ratio", "Turn cost against the stock `rasa init` bot, 1 customer: our p50 / its p50", "x", "≤ 1.0"),
    ("turn_cost", "vs_stock.single_p50_ms.ours", "… our p50 per turn", "ms", ""),
    ("turn_cost", "vs_stock.single_p50_ms.stock", "… the stock bot's p50 per turn", "ms", ""),
    ("turn_cost", "vs_stock.saturation_ratio", "Turn cost against the stock bot, 20 closed-loop customers: our turns/s / its", "x", "≥ 1.5"),
    ("turn_cost", "vs_stock.saturation_turns_per_s.ours", "… our turns/s", "", ""),
    ("turn_cost", "vs_stock.saturation_turns_per_s.stock", "… its turns/s", "", ""),
    ("turn_cost", "runs.before.vs_stock.single_p50_ratio", "… before the turn-cost work: 1 customer, our p50 / its", "x", ""),
    ("turn_cost", "runs.before.vs_stock.saturation_ratio", "… before: 20 customers, our turns/s / its", "x", ""),
    ("turn_cost", "stages.before.turn_mean_ms", "Profiled turn inside Rasa, mean, before (stages in `turn_cost.json`)", "ms", ""),
    ("turn_cost", "stages.after.turn_mean_ms", "… after", "ms", ""),
    ("turn_cost", "production.after.vs_stock.single_p50_ratio", "Production mode against the stock bot, 1 customer: our p50 / its", "x", "≤ 1.0"),
    ("turn_cost", "production.after.vs_stock.saturation_ratio", "Production mode against the stock bot, 20 customers: our turns/s / its", "x", "≥ 1.5"),
    ("turn_cost", "production.before.vs_stock.single_p50_ratio", "… production mode before: 1 customer", "x", ""),
    ("turn_cost", "production.before.vs_stock.saturation_ratio", "… production mode before: 20 customers", "x", ""),
    ("learning_loop", "roundtrip.corrected_fixed_rate.value", "Review loop: wrongly parsed messages corrected in the console, parsed as corrected after `make retrain`", "pct", "≥ 90 %"),
    ("learning_loop", "roundtrip.corrected", "… messages corrected (each parsed wrong before)", "", "≥ 50"),
    ("learning_loop", "roundtrip.held_back_fixed_rate.value", "… similar wrong messages nobody corrected, parsed right after", "pct", ""),
    ("learning_loop", "roundtrip.heldout_intent_delta", "… held-out intent accuracy, retrained minus running model (points)", "", "≥ −0.5"),
    ("learning_loop", "roundtrip.heldout_slot_f1_delta", "… held-out entity F1, retrained minus running model (points)", "", ""),
    ("learning_loop", "retrain_seconds", "… `rasa train` inside `make retrain`", "s", ""),
    ("feedback", "feedback_only.attribute.with_feedback.success_at_5.value", "Feedback-only customers, attribute rule: target shown within 5 pages, re-ranked", "pct", ""),
    ("feedback", "feedback_only.attribute.without_feedback.success_at_5.value", "… paging on without re-ranking", "pct", ""),
    ("feedback", "feedback_only.attribute.success_at_5_ratio", "… ratio re-ranked / not", "x", "≥ 2×"),
    ("feedback", "feedback_only.attribute.ratio_ci95_low", "… ratio, lower end of its 95 % interval", "x", "> 1.2"),
    ("feedback", "feedback_only.similarity.with_feedback.success_at_5.value", "Feedback-only customers, similarity rule: target shown within 5 pages, re-ranked", "pct", ""),
    ("feedback", "feedback_only.similarity.without_feedback.success_at_5.value", "… paging on without re-ranking", "pct", ""),
    ("feedback", "feedback_only.similarity.success_at_5_ratio", "… ratio re-ranked / not", "x", "≥ 1.5×"),
    ("feedback", "feedback_only.similarity.ratio_ci95_low", "… ratio, lower end of its 95 % interval", "x", "> 1.2"),
    ("feedback", "feedback_only.noisy.with_feedback.success_at_5.value", "Feedback-only customers, noisy rule: target shown within 5 pages, re-ranked", "pct", ""),
    ("feedback", "feedback_only.noisy.without_feedback.success_at_5.value", "… paging on without re-ranking", "pct", ""),
    ("feedback", "feedback_only.noisy.success_at_5_ratio", "… ratio re-ranked / not", "x", "≥ 1.5×"),
    ("feedback", "feedback_only.noisy.ratio_ci95_low", "… ratio, lower end of its 95 % interval", "x", "> 1.2"),
    ("feedback", "mixed.with_feedback.success_at_5.value", "Mixed customers (words and reactions, Rasa + actions): found within 5 turns, re-ranked", "pct", ""),
    ("feedback", "mixed.without_feedback.success_at_5.value", "… without re-ranking", "pct", ""),
    ("feedback", "per_turn_ms.learner_type_filter.p50", "Re-ranked search per turn (about 10 reactions), p50", "ms", ""),
    ("feedback", "per_turn_ms.plain_type_filter.p50", "… the same search without re-ranking, p50", "ms", ""),
    ("load", "concurrent_20.p95_ms", "Production mode, 20 concurrent, p95", "ms", "≤ 400 ms"),
    ("load", "concurrent_20.lost_turns", "Production mode, 20 concurrent, lost turns", "", "0"),
    ("load", "concurrent_20.doubled_turns", "Production mode, 20 concurrent, doubled turns", "", "0"),
    ("load", "concurrent_50.p95_ms", "Production mode, 50 concurrent, p95", "ms", ""),
    ("load", "concurrent_50.lost_turns", "Production mode, 50 concurrent, lost turns", "", "0"),
    ("load", "concurrent_50.doubled_turns", "Production mode, 50 concurrent, doubled turns", "", "0"),
    ("load", "think_200.p95_ms", "Production mode, 200 customers with 5 s think time, p95", "ms", ""),
    ("load", "think_200.throughput_turns_per_s", "Production mode, 200 customers with 5 s think time, turns/s", "", ""),
    ("load", "think_200.errors", "Production mode, 200 customers with 5 s think time, errors", "", "0"),
    ("load", "think_200.lost_turns", "Production mode, 200 customers with 5 s think time, lost turns", "", "0"),
    ("load", "think_200.doubled_turns", "Production mode, 200 customers with 5 s think time, doubled turns", "", "0"),
    ("load", "exactly_once.killed_mid_turn.doubled_turns", "Rasa replica killed mid-turn: doubled turns", "", "0"),
    ("load", "exactly_once.killed_mid_turn.doubled_side_effects", "Rasa replica killed mid-turn: doubled feedback/cart/handoff rows", "", "0"),
    ("load", "exactly_once.killed_mid_turn.missing_turns", "Rasa replica killed mid-turn: missing turns", "", "0"),
    ("load", "exactly_once.slow_turn.doubled_turns", "Turn slower than nginx's timeout: doubled turns", "", "0"),
    ("load", "exactly_once.slow_turn.doubled_side_effects", "Turn slower than nginx's timeout: doubled feedback/cart rows", "", "0"),
    ("load", "exposure.internal_endpoints_reachable", "Internal endpoints reachable through the published port", "", "0"),
    ("load", "rate_limits.per_customer_accepted", "Messages accepted per customer per minute, 2 web-app replicas (limit 30)", "", "30"),
    ("robustness", "oos.clinc_oos_recall.value", "CLINC150 oos_test answered as out of scope", "pct", "≥ 95 %"),
    ("robustness", "oos.clinc_inscope_rejected.value", "CLINC150 test requests outside shopping answered as out of scope", "pct", "≥ 95 %"),
    ("robustness", "oos.clinc_mapped_accuracy.value", "CLINC150 test requests mapped onto our intents, right", "pct", ""),
    ("robustness", "oos.shop_heldout_intent_accuracy.before", "Shop held-out intent accuracy before out-of-scope training", "pct", ""),
    ("robustness", "oos.shop_heldout_intent_accuracy.after", "Shop held-out intent accuracy after out-of-scope training", "pct", "≥ before − 1 point"),
    ("robustness", "calibration.ece_before", "Expected calibration error, raw", "", ""),
    ("robustness", "calibration.ece_after", "Expected calibration error, temperature-scaled", "", "< raw"),
    ("robustness", "typo.intent_accuracy_drop", "Typo-noised held-out: intent accuracy drop", "pct", "≤ 3 points"),
    ("robustness", "typo.slot_f1_drop", "Typo-noised held-out: slot F1 drop", "pct", "≤ 3 points"),
    ("robustness", "out_of_catalog.not_carried_rate.value", "Requests the demo does not carry, answered without cards (Rasa + actions)", "pct", "≥ 90 %"),
    ("robustness", "out_of_catalog.told_not_carried_rate.value", "… told in words that the shop does not sell it", "pct", ""),
    ("robustness", "out_of_catalog.in_catalog_answered_rate.value", "Requests the demo carries, answered with products (Rasa + actions)", "pct", "≥ 97 %"),
    ("coverage_calibration", "eval.carried_pass_rate.value", "Coverage model offline, carried requests let through (eval half)", "pct", ""),
    ("coverage_calibration", "eval.not_carried_caught_rate.value", "Coverage model offline, not-carried requests caught (eval half)", "pct", ""),
    ("load", "fuzz.messages", "Fuzzed hostile requests", "", ""),
    ("catalogs", "myntra.ingest_seconds", "Own-catalog ingest, Myntra 44k (fresh store, real encoder)", "s", ""),
    ("catalogs", "flipkart.ingest_seconds", "Own-catalog ingest, Flipkart 20k joined (fresh store, real encoder)", "s", ""),
    ("catalogs", "ikea.ingest_seconds", "Own-catalog ingest, IKEA 3.7k (fresh store, real encoder)", "s", ""),
    ("catalogs", "ikea.known_item_mrr_at_10.with_descriptions", "Known-item MRR@10, IKEA, descriptions searched (eval seed)", "", ""),
    ("catalogs", "ikea.known_item_mrr_at_10.without_descriptions", "… titles only (same queries)", "", ""),
    ("catalogs", "ikea.quality.description_item.with_descriptions", "Description-phrase MRR@10, IKEA, descriptions searched", "", ""),
    ("catalogs", "ikea.quality.description_item.without_descriptions", "… titles only (same queries)", "", ""),
    ("catalogs", "flipkart.known_item_mrr_at_10.with_descriptions", "Known-item MRR@10, Flipkart, descriptions searched", "", ""),
    ("catalogs", "flipkart.known_item_mrr_at_10.without_descriptions", "… titles only (same queries)", "", ""),
    ("catalogs", "flipkart.quality.description_item.with_descriptions", "Description-phrase MRR@10, Flipkart (999 with descriptions)", "", ""),
    ("catalogs", "flipkart.quality.description_item.without_descriptions", "… titles only (same queries)", "", ""),
    ("catalogs", "flipkart.quality.category.with_descriptions", "Flipkart category NDCG@10, descriptions searched", "", ""),
    ("catalogs", "flipkart.quality.category.without_descriptions", "… titles only (same queries)", "", ""),
    ("catalogs", "hot_update.failed_turns", "Failed turns while the catalog is re-ingested under a chatting customer", "", "0"),
    ("catalogs", "hot_update.seconds_to_visible", "Seconds from ingest end to new products found by a running action server", "", "seconds"),
    ("load", "fuzz.reached_nlu_in_tracker_store", "Fuzzed messages that reached the NLU (free text, counted in the tracker store)", "", "≥ 10,000"),
    ("load", "fuzz.intent_payloads", "Fuzzed fixed intent payloads (no NLU)", "", ""),
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
