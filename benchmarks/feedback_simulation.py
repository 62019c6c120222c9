"""Simulated customers: does feedback re-ranking find the product a customer wants sooner?

Each customer secretly wants one product of the demo catalog (the target: a product type drawn
uniformly among the types with at least 40 products, then one of its products). Two kinds of
customer, reported separately:

Feedback-only customers (the measure of re-ranking alone). They open with the product type and
then only press the card buttons, by one of three rules (``benchmarks/simulated_customers.py``):
attribute (thumbs up on cards sharing at least 2 of colour, brand, occasion, gender, season with
the target), similarity (thumbs up on cards closer to the target's embedding than the median
product of its type) and noisy (the attribute rule, 30 % of cards left unrated, 20 % of reactions
flipped). Every turn shows one page of 5 products nobody has shown this customer yet, in both
conditions: with re-ranking the page comes from ``PersonalisedSearch`` fed with the reactions;
without, the same search with re-ranking off, i.e. the customer pages on through the hybrid
search results. Both conditions see exactly 5 new products per turn. Success@k: the target was
shown in one of the first k pages. These customers talk to ``PersonalisedSearch`` in-process (the
object the action server calls on every turn) with a scratch feedback store, so a thumbs-down
never shows an extra page and no attribute is ever stated in words.

Tuning and evaluation are disjoint. Tuning uses ``--tuning-seed``, its own targets and model
(a) only: a small grid of curiosity x attribute sharpness is searched for the best success@5, with
the uniform prior over attribute thresholds that ships (a prior fitted to the tuning customers is
reported as an ablation). The
evaluation uses ``--eval-seed`` and targets drawn without any tuning target; it runs the
weights the ranker ships with (``retrieval.target.TargetWeights`` defaults), which must be the
tuned ones (``tuning.shipped_defaults_match``). The same figures on the tuning seed are kept for
comparison. Every rate has a 95 % bootstrap interval over customers; the ratio's interval
resamples customers and recomputes the ratio per resample (both conditions share the customers).

Mixed customers (the customer of the previous version of this benchmark, unchanged). They open
with the type in words, react to every page (thumbs up on at most two cards sharing at least 2
attributes, thumbs down on the rest) and reveal one more attribute of the target in words per
turn, through the real Rasa server and action server; the two conditions differ only in
SHOP_FEEDBACK_RERANK. Here stated attributes become hard filters and a thumbs-down refreshes the
page, so exposure differs between conditions: these figures are not a measure of re-ranking.

Per-turn cost: PersonalisedSearch.search (feedback store read included) with about 10 reactions
in the conversation, on the demo catalog, one process, against the plain search.

Usage: python benchmarks/feedback_simulation.py [--stages tune evaluate latency mixed] [--customers 500]
       [--tune-customers 400] [--var-dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.measure import RESULTS_DIR, bootstrap_ci, machine, merge_results, rate  # noqa: E402
from benchmarks.simulated_customers import MODELS, CustomerModel, choose_targets, customer_model, shared  # noqa: E402
from retrieval import Filters, Product, Retriever  # noqa: E402
from retrieval.feedback import FeedbackStore, Reaction  # noqa: E402
from retrieval.personalise import CustomerContext, PersonalisedSearch  # noqa: E402
from retrieval.rerank import RerankWeights  # noqa: E402
from retrieval.store import make_engine, migrate  # noqa: E402
from retrieval.target import Features, TargetWeights, fit_attribute_prior  # noqa: E402
from shop.settings import REPO_ROOT, Settings, get_settings  # noqa: E402

KS = (1, 2, 3, 5, 10)
STAGES = ("tune", "evaluate", "latency", "mixed")
TUNING_GRID = {"curiosity": (0.3, 1.0, 3.0), "attribute_sharpness": (4.0, 10.0)}
Progress = Callable[[str], None]


# --- feedback-only customers -----------------------------------------------------------------
@dataclass
class Conversation:
    """One feedback-only customer's conversation: when the target was shown, and what they reacted to."""

    found_at: int | None
    reactions: list[tuple[str, Reaction]]


def opening(target: Product) -> tuple[str, Filters]:
    """What "show me <type>" becomes: the type as the search text and as a filter."""
    kind = str(target.product_type)
    return kind, Filters.where(product_type=[kind])


def converse(search: PersonalisedSearch, target: Product, model: CustomerModel, rng: random.Random, *,
             customer_id: str, max_turns: int, page_size: int) -> Conversation:
    """Pages of new products until the target is shown; the customer reacts to each page with the card buttons."""
    context = CustomerContext(customer_id, f"{customer_id}:1")
    query, filters = opening(target)
    shown: list[str] = []
    reactions: list[tuple[str, Reaction]] = []
    for turn in range(1, max_turns + 1):
        context.turn = turn
        hits = search.search(query, filters.excluding_ids(shown), context=context, top_k=page_size)
        if not hits:
            break
        page = [hit.product for hit in hits]
        shown += [p.id for p in page]
        if any(p.id == target.id for p in page):
            return Conversation(turn, reactions)
        for product, kind in model.react(page, target, rng):
            search.record(context, kind, product.id)
            reactions.append((product.id, kind))
    return Conversation(None, reactions)


def run_customers(retriever: Retriever, store: FeedbackStore, targets: Sequence[Product], model: CustomerModel, *,
                  enabled: bool, weights: RerankWeights, label: str, seed: int, max_turns: int, page_size: int,
                  progress: Progress) -> list[Conversation]:
    """Every target's conversation under one condition; a customer's random draws depend only on the seed and index."""
    search = PersonalisedSearch(retriever=retriever, store=store, enabled=enabled, weights=weights)
    conversations = []
    started = time.perf_counter()
    for index, target in enumerate(targets):
        conversations.append(converse(search, target, model, random.Random(seed * 100_003 + index),
                                      customer_id=f"{label}-{index}", max_turns=max_turns, page_size=page_size))
        if (index + 1) % 100 == 0 or index + 1 == len(targets):
            found = sum(1 for c in conversations if c.found_at and c.found_at <= 5) / len(conversations)
            progress(f"{label}: {index + 1}/{len(targets)} customers, success@5 so far {found:.3f}, {time.perf_counter() - started:.0f} s")
    return conversations


def successes(conversations: Sequence[Conversation], k: int) -> list[bool]:
    return [c.found_at is not None and c.found_at <= k for c in conversations]


def ratio_interval(with_hits: Sequence[bool], without_hits: Sequence[bool], seed: int) -> tuple[float | None, float, float]:
    """success(with) / success(without) and its 95 % interval, resampling customers (paired)."""
    pairs = np.column_stack([np.asarray(with_hits, dtype=float), np.asarray(without_hits, dtype=float)])
    if pairs[:, 1].sum() == 0:
        return None, float("nan"), float("inf")

    def ratio(sample: np.ndarray) -> float:
        denominator = sample[:, 1].mean()
        return float(sample[:, 0].mean() / denominator) if denominator else float("inf")

    low, high = bootstrap_ci(pairs, statistic=ratio, seed=seed)  # type: ignore[arg-type]
    return ratio(pairs), low, high


def compare(with_feedback: Sequence[Conversation], without_feedback: Sequence[Conversation], seed: int) -> dict[str, Any]:
    """Success@k of both conditions with intervals, and the success@5 ratio with its interval."""
    value, low, high = ratio_interval(successes(with_feedback, 5), successes(without_feedback, 5), seed)
    return {
        "customers": len(with_feedback),
        "with_feedback": {f"success_at_{k}": rate(successes(with_feedback, k), seed=seed) for k in KS},
        "without_feedback": {f"success_at_{k}": rate(successes(without_feedback, k), seed=seed) for k in KS},
        "success_at_5_ratio": value, "ratio_ci95_low": low, "ratio_ci95_high": high,
        "reactions_per_customer": float(np.mean([len(c.reactions) for c in with_feedback])),
    }


class Simulation:
    """The demo retriever, a scratch feedback store and the targets of each seed."""

    def __init__(self, retriever: Retriever, store_dir: Path, *, max_turns: int, page_size: int, progress: Progress) -> None:
        self.retriever, self.max_turns, self.page_size, self.progress = retriever, max_turns, page_size, progress
        engine = make_engine(f"sqlite:///{store_dir / 'feedback.db'}")
        migrate(engine)
        self.store = FeedbackStore(engine)
        self.runs = 0

    def run(self, targets: Sequence[Product], model_name: str, *, enabled: bool, weights: RerankWeights, seed: int,
            label: str) -> list[Conversation]:
        self.runs += 1  # fresh customer ids per run: no run sees another's reactions
        return run_customers(self.retriever, self.store, targets, customer_model(model_name, self.retriever), enabled=enabled,
                             weights=weights, label=f"r{self.runs}-{label}", seed=seed, max_turns=self.max_turns,
                             page_size=self.page_size, progress=self.progress)

    def evidence(self, conversations: Sequence[Conversation], targets: Sequence[Product]) -> list[tuple[Features, np.ndarray, np.ndarray]]:
        """The reactions of each conversation as the learner sees them, with the target's attribute codes."""
        table = self.retriever.table
        rows = []
        for conversation, target in zip(conversations, targets, strict=True):
            if not conversation.reactions:
                continue
            positions = np.asarray([table.position_of[pid] for pid, _ in conversation.reactions], dtype=np.int64)
            codes = np.stack([table.codes[name][positions] for name in table.codes])
            target_codes = np.asarray([table.codes[name][table.position_of[target.id]] for name in table.codes])
            strengths = np.asarray([kind.weight for _, kind in conversation.reactions])
            rows.append((Features(codes, self.retriever.vectors(positions)), strengths, target_codes))
        return rows


def tune(sim: Simulation, targets: Sequence[Product], seed: int) -> dict[str, Any]:
    """Pick curiosity and sharpness on model (a) tuning customers only, with the uniform threshold prior that ships.

    The prior over attribute thresholds is also fitted (EM) and tried with the chosen weights, as an
    ablation only: fitted to simulated customers it learns the simulation's own rule ("at least 2
    shared values besides the type") and then weakens what one real like says about a brand, so it
    is reported, not shipped.
    """
    start = TargetWeights(attribute_prior=None)
    baseline = sim.run(targets, "attribute", enabled=False, weights=RerankWeights(), seed=seed, label="tune-without")
    grid = []
    runs = {}
    for curiosity in TUNING_GRID["curiosity"]:
        for sharpness in TUNING_GRID["attribute_sharpness"]:
            weights = replace(start, curiosity=curiosity, attribute_sharpness=sharpness)
            found = sim.run(targets, "attribute", enabled=True, weights=RerankWeights(target=weights), seed=seed,
                            label=f"tune-c{curiosity}-s{sharpness}")
            runs[(curiosity, sharpness)] = found
            grid.append({"curiosity": curiosity, "attribute_sharpness": sharpness,
                         "success_at_5": rate(successes(found, 5), seed=seed)})
    best = max(grid, key=lambda row: row["success_at_5"]["value"])  # first of equals, in grid order
    chosen = replace(start, curiosity=best["curiosity"], attribute_sharpness=best["attribute_sharpness"])
    prior = fit_attribute_prior(sim.evidence(runs[(best["curiosity"], best["attribute_sharpness"])], targets), chosen)
    sim.progress(f"tune: fitted prior over thresholds {start.attribute_thresholds}: {prior} (ablation, not shipped)")
    fitted = sim.run(targets, "attribute", enabled=True, weights=RerankWeights(target=replace(chosen, attribute_prior=prior)),
                     seed=seed, label="tune-fitted-prior")
    shipped = TargetWeights()
    return {
        "customers": len(targets), "model": "attribute", "seed": seed,
        "without_feedback_success_at_5": rate(successes(baseline, 5), seed=seed),
        "grid": grid, "chosen": {k: v for k, v in asdict(chosen).items() if k in ("attribute_prior", "curiosity", "attribute_sharpness")},
        "ablation_fitted_attribute_prior": {
            "prior": dict(zip(map(str, start.attribute_thresholds), prior, strict=True)),
            "success_at_5": rate(successes(fitted, 5), seed=seed),
        },
        "shipped_defaults_match": shipped == chosen,
    }


def evaluate(sim: Simulation, targets: Sequence[Product], seed: int, label: str) -> dict[str, Any]:
    """Every customer model with the shipped weights, against the same customers paging on without re-ranking."""
    without = sim.run(targets, "attribute", enabled=False, weights=RerankWeights(), seed=seed, label=f"{label}-without")
    # without re-ranking the pages never depend on the reactions: one baseline serves every customer model
    report: dict[str, Any] = {}
    curves = {"without re-ranking": [float(np.mean(successes(without, k))) for k in range(1, sim.max_turns + 1)]}
    for name in MODELS:
        found = sim.run(targets, name, enabled=True, weights=RerankWeights(), seed=seed, label=f"{label}-{name}")
        report[name] = row = compare(found, without, seed)
        curves[f"{name} rule, with re-ranking"] = [float(np.mean(successes(found, k))) for k in range(1, sim.max_turns + 1)]
        sim.progress(f"{label} {name}: success@5 {row['with_feedback']['success_at_5']['value']:.3f} vs "
                     f"{row['without_feedback']['success_at_5']['value']:.3f}, ratio {row['success_at_5_ratio']:.2f} "
                     f"[{row['ratio_ci95_low']:.2f}, {row['ratio_ci95_high']:.2f}]")
    report["curves"] = curves
    return report


def latency(sim: Simulation, targets: Sequence[Product], seed: int, *, calls: int = 5) -> dict[str, Any]:
    """Milliseconds per PersonalisedSearch.search with about 10 reactions in the conversation, and the plain search."""
    model = customer_model("attribute", sim.retriever)
    timings: dict[str, list[float]] = {"learner_type_filter": [], "learner_no_filter": [], "plain_type_filter": []}
    learner = PersonalisedSearch(retriever=sim.retriever, store=sim.store, weights=RerankWeights())
    plain = PersonalisedSearch(retriever=sim.retriever, store=sim.store, enabled=False)
    reactions = []
    for index, target in enumerate(targets):
        context = CustomerContext(f"latency-{index}", f"latency-{index}:1")
        query, filters = opening(target)
        rng = random.Random(seed * 100_003 + index)
        shown: list[str] = []
        for _ in range(2):  # two pages of reactions: about 10
            page = [h.product for h in learner.search(query, filters.excluding_ids(shown), context=context, top_k=sim.page_size)]
            shown += [p.id for p in page]
            for product, kind in model.react(page, target, rng):
                learner.record(context, kind, product.id)
        reactions.append(len(learner.store.history(customer_id=context.customer_id)))
        for key, search, text, where in (("learner_type_filter", learner, query, filters),
                                         ("learner_no_filter", learner, "popular products", Filters()),
                                         ("plain_type_filter", plain, query, filters)):
            for _ in range(calls):
                started = time.perf_counter()
                search.search(text, where.excluding_ids(shown), context=context, top_k=sim.page_size)
                timings[key].append(1000 * (time.perf_counter() - started))
    report: dict[str, Any] = {"customers": len(targets), "calls_per_customer": calls,
                              "reactions_per_customer": float(np.mean(reactions))}
    for key, values in timings.items():
        report[key] = {"p50": float(np.percentile(values, 50)), "p95": float(np.percentile(values, 95)), "n": len(values)}
    return report


# --- mixed customers (through Rasa) ----------------------------------------------------------
REVEAL_ORDER = ("colour", "gender", "brand", "usage", "season")
REVEAL_TEMPLATES = {
    "colour": ["in {v}", "do you have it in {v}", "{v} please"],
    "gender": ["for {v}", "it's for {v}"],
    "brand": ["from {v}", "i prefer {v}"],
    "usage": ["for {v} use", "something {v}"],
    "season": ["for {v}", "{v} collection"],
}
GENDER_WORDS = {"Men": "men", "Women": "women", "Boys": "boys", "Girls": "girls", "Unisex": "anyone"}
OPENINGS = ["show me {t}", "i'm looking for {t}", "do you have {t}", "i need {t}"]


def type_words(product_type: str) -> str:
    return {"Tshirts": "t-shirts", "Tops": "tops", "Casual Shoes": "casual shoes", "Sports Shoes": "sports shoes"}.get(product_type, product_type.lower())


async def mixed_customer(session: Any, retriever: Retriever, target: Product, rng: random.Random, max_turns: int) -> int | None:
    """The mixed customer: reacts to each page and reveals one more attribute in words per turn."""
    turn = await session.say(rng.choice(OPENINGS).format(t=type_words(str(target.product_type))))
    revealed = 0
    for number in range(1, max_turns + 1):
        pages = [turn]
        cards = turn.cards()
        if any(card["id"] == target.id for card in cards):
            return number
        liked = [c for c in cards if shared(retriever.get(c["id"]), target) >= 2][:2]
        disliked = [c for c in cards if shared(retriever.get(c["id"]), target) < 2]
        for card in liked:
            pages.append(await session.press("feedback_positive", product_id=card["id"]))
        for card in disliked:
            pages.append(await session.press("feedback_negative", product_id=card["id"]))
        if any(card["id"] == target.id for page in pages for card in page.cards()):
            return number
        if number == max_turns:
            break
        attribute = next((a for a in REVEAL_ORDER[revealed:] if getattr(target, a)), None)
        if attribute is None:
            turn = await session.say("show me more")
        else:
            revealed = REVEAL_ORDER.index(attribute) + 1
            value = getattr(target, attribute)
            words = GENDER_WORDS.get(value, value.lower()) if attribute == "gender" else value.lower()
            turn = await session.say(rng.choice(REVEAL_TEMPLATES[attribute]).format(v=words))
    return None


async def mixed_condition(base_url: str, retriever: Retriever, label: str, targets: Sequence[Product], seed: int,
                          max_turns: int, concurrency: int, progress: Progress) -> list[Conversation]:
    import httpx

    from benchmarks.chat_client import ChatSession

    semaphore = asyncio.Semaphore(concurrency)
    found: dict[int, int | None] = {}
    async with httpx.AsyncClient(timeout=60.0) as client:

        async def one(index: int, target: Product) -> None:
            async with semaphore:
                session = ChatSession(client, base_url, sender=f"sim-{label}-{seed}-{index}")
                found[index] = await mixed_customer(session, retriever, target, random.Random(seed * 1000 + index), max_turns)
                if len(found) % 50 == 0 or len(found) == len(targets):
                    progress(f"mixed {label}: {len(found)}/{len(targets)} customers")

        await asyncio.gather(*(one(i, t) for i, t in enumerate(targets)))
    return [Conversation(found[i], []) for i in range(len(targets))]


def mixed(settings: Settings, retriever: Retriever, targets: Sequence[Product], seed: int, *, max_turns: int,
          concurrency: int, progress: Progress) -> dict[str, Any]:
    from shop.ops.stack import Stack, free_port, latest_model

    model = latest_model()
    runs = {}
    for label, enabled in (("with_feedback", True), ("without_feedback", False)):
        stack_settings = Settings(**{**settings.model_dump(), "rasa_port": free_port(), "action_port": free_port(), "feedback_rerank": enabled})
        with Stack(settings=stack_settings, model=model):
            runs[label] = asyncio.run(mixed_condition(stack_settings.resolved_rasa_url, retriever, label, targets, seed,
                                                      max_turns, concurrency, progress))
    forget = FeedbackStore(make_engine(settings.resolved_database_url))
    for label in runs:
        for index in range(len(targets)):
            forget.forget_customer(customer_id=f"sim-{label}-{seed}-{index}")
    report = compare(runs["with_feedback"], runs["without_feedback"], seed)
    report.pop("reactions_per_customer")
    for label, conversations in runs.items():
        report[label]["mean_turns"] = float(np.mean([c.found_at or max_turns + 1 for c in conversations]))  # failures count as max+1
    report["model"] = model.name
    return report


# --- the run ---------------------------------------------------------------------------------
def open_demo(var_dir: Path | None) -> tuple[Settings, Retriever]:
    """Settings and a Retriever over the demo catalog, ingested (incrementally) into ``var_dir`` (default: the app's)."""
    from retrieval.ingest import ingest

    base = get_settings()
    settings = base if var_dir is None else Settings(**{**base.model_dump(), "var_dir": var_dir, "database_url": "", "index_dir": None,
                                                       "catalog_path": REPO_ROOT / "data" / "demo_catalog.csv",
                                                       "catalog_mapping": REPO_ROOT / "retrieval" / "mappings" / "demo.yml"})
    print(f"[feedback] {ingest(settings).summary()}", flush=True)
    return settings, Retriever.open(settings)


def plot(curves: dict[str, list[float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axis = plt.subplots(figsize=(6.5, 4))
    for label, values in curves.items():
        axis.plot(range(1, len(values) + 1), values, marker="o", label=label, linestyle="--" if "without" in label else "-")
    axis.set_xlabel("pages shown (5 new products each)")
    axis.set_ylabel("share of customers shown their product")
    axis.set_ylim(0, 1)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    axis.set_title("Feedback-only customers (evaluation seed)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stages", nargs="+", choices=STAGES, default=list(STAGES))
    parser.add_argument("--customers", type=int, default=500, help="evaluation customers per customer model")
    parser.add_argument("--tune-customers", type=int, default=400)
    parser.add_argument("--mixed-customers", type=int, default=200)
    parser.add_argument("--latency-customers", type=int, default=200)
    parser.add_argument("--tuning-seed", type=int, default=11)
    parser.add_argument("--eval-seed", type=int, default=23)
    parser.add_argument("--max-turns", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=4, help="mixed customers talking at once")
    parser.add_argument("--var-dir", type=Path, default=None, help="demo store to use (ingested if needed); default: the app's var/")
    parser.add_argument("--results-name", default="feedback", help="write benchmarks/results/<name>.json (merged stage by stage)")
    args = parser.parse_args(argv)

    def progress(line: str) -> None:
        print(f"[feedback] {line}", flush=True)

    settings, retriever = open_demo(args.var_dir)
    tuning_targets = choose_targets(retriever, args.tune_customers, args.tuning_seed)
    eval_targets = choose_targets(retriever, args.customers, args.eval_seed, avoid=[t.id for t in tuning_targets])
    update: dict[str, Any] = {
        "tuning_seed": args.tuning_seed, "eval_seed": args.eval_seed, "max_turns": args.max_turns,
        "page_size": settings.page_size, "catalog_items": len(retriever.snapshot.products), "machine": machine(),
        "protocol": __doc__.split("\n\n", 1)[1].split("\n\nUsage", 1)[0].strip(),
    }
    seconds: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="feedback-sim-") as scratch:
        sim = Simulation(retriever, Path(scratch), max_turns=args.max_turns, page_size=settings.page_size, progress=progress)
        if "tune" in args.stages:
            started = time.perf_counter()
            update["tuning"] = tune(sim, tuning_targets, args.tuning_seed)
            seconds["tune"] = round(time.perf_counter() - started, 1)
            if not update["tuning"]["shipped_defaults_match"]:
                progress(f"WARNING: the shipped TargetWeights defaults differ from the tuned choice {update['tuning']['chosen']}")
        if "evaluate" in args.stages:
            started = time.perf_counter()
            update["feedback_only"] = evaluate(sim, eval_targets, args.eval_seed, "eval")
            plot(update["feedback_only"]["curves"], RESULTS_DIR / f"{args.results_name}_success.png")
            tuning_customers = tuning_targets[: args.customers]
            update["feedback_only_tuning_seed"] = evaluate(sim, tuning_customers, args.tuning_seed, "tuning-seed")
            seconds["evaluate"] = round(time.perf_counter() - started, 1)
        if "latency" in args.stages:
            started = time.perf_counter()
            update["per_turn_ms"] = latency(sim, eval_targets[: args.latency_customers], args.eval_seed)
            seconds["latency"] = round(time.perf_counter() - started, 1)
    if "mixed" in args.stages:
        started = time.perf_counter()
        update["mixed"] = mixed(settings, retriever, eval_targets[: args.mixed_customers], args.eval_seed,
                                max_turns=args.max_turns, concurrency=args.concurrency, progress=progress)
        seconds["mixed"] = round(time.perf_counter() - started, 1)
    update["seconds"] = seconds
    path = merge_results(args.results_name, update)
    progress(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
