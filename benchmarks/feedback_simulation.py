"""Simulated customers: does feedback re-ranking find the product a customer wants sooner?

Each customer secretly wants one product of the catalog. They open with a vague request (just
the product type, in words), then on every page: react truthfully with the card buttons (thumbs
up on products sharing at least two attributes with the target, thumbs down on the others), and
reveal one more attribute of the target in words ("in navy blue", "for women",
"from Puma", "for sports"). Success at turn t = the target appeared on a page shown in turn t.

Everything runs through the real Rasa server (our NLU, policies) and the real action server; the
two conditions differ only in SHOP_FEEDBACK_RERANK on the action server. Same seeds, same
customers, one run. Writes benchmarks/results/feedback.json and feedback_success.png.

Usage: python benchmarks/feedback_simulation.py [--customers 200] [--max-turns 10] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.chat_client import ChatSession  # noqa: E402
from retrieval import Product, Retriever  # noqa: E402
from shop.ops.stack import Stack, free_port, latest_model  # noqa: E402
from shop.settings import REPO_ROOT, Settings, get_settings  # noqa: E402

RESULTS = REPO_ROOT / "benchmarks" / "results"
COMPARED = ("colour", "brand", "usage", "gender", "season")
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


@dataclass
class Outcome:
    customer: int
    found_at: int | None  # turn number (1-based) or None
    messages: int


def type_words(product_type: str) -> str:
    return {"Tshirts": "t-shirts", "Tops": "tops", "Casual Shoes": "casual shoes", "Sports Shoes": "sports shoes"}.get(product_type, product_type.lower())


def choose_targets(retriever: Retriever, count: int, seed: int) -> list[Product]:
    """Targets from product types with enough variety that a vague request is genuinely vague."""
    rng = random.Random(seed)
    products = [p for p in retriever.snapshot.products if p.product_type and p.colour and p.brand and p.gender]
    by_type: dict[str, list[Product]] = {}
    for product in products:
        by_type.setdefault(str(product.product_type), []).append(product)
    types = sorted(t for t, members in by_type.items() if len(members) >= 40)
    return [rng.choice(by_type[rng.choice(types)]) for _ in range(count)]


def shared(product: Product | None, target: Product) -> int:
    """How many of the compared attributes a shown product has in common with the target."""
    if product is None:
        return 0
    return sum(1 for attr in COMPARED if getattr(product, attr) and getattr(product, attr) == getattr(target, attr))


async def simulate(session: ChatSession, retriever: Retriever, target: Product, rng: random.Random, max_turns: int) -> int | None:
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


async def run_condition(base_url: str, retriever: Retriever, label: str, targets: list[Product], seed: int, max_turns: int, concurrency: int) -> list[Outcome]:
    semaphore = asyncio.Semaphore(concurrency)
    outcomes: list[Outcome] = []
    async with httpx.AsyncClient(timeout=60.0) as client:
        progress = tqdm(total=len(targets), desc=f"customers ({label})", unit="customer")

        async def one(index: int, target: Product) -> None:
            async with semaphore:
                session = ChatSession(client, base_url, sender=f"sim-{label}-{seed}-{index}")
                found = await simulate(session, retriever, target, random.Random(seed * 1000 + index), max_turns)
                outcomes.append(Outcome(index, found, len(session.turns)))
                progress.update(1)

        await asyncio.gather(*(one(i, t) for i, t in enumerate(targets)))
        progress.close()
    return sorted(outcomes, key=lambda o: o.customer)


def summarise(outcomes: list[Outcome], max_turns: int) -> dict[str, float]:
    total = len(outcomes)
    summary: dict[str, float] = {f"success_at_{k}": sum(1 for o in outcomes if o.found_at and o.found_at <= k) / total for k in (1, 2, 3, 5, 10)}
    found = [o.found_at for o in outcomes if o.found_at]
    summary["mean_turns"] = sum((o.found_at or max_turns + 1) for o in outcomes) / total  # failures count as max+1
    summary["mean_turns_when_found"] = sum(found) / len(found) if found else float("nan")
    summary["messages"] = sum(o.messages for o in outcomes)
    return summary


def forget_simulated_customers(settings: Settings, senders: list[str]) -> None:
    """The simulated reactions must not linger in the demo store."""
    from retrieval.feedback import FeedbackStore
    from retrieval.store import make_engine

    store = FeedbackStore(make_engine(settings.resolved_database_url))
    for sender in senders:
        store.forget_customer(customer_id=sender)


def plot(curves: dict[str, list[float]], path: Path, max_turns: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axis = plt.subplots(figsize=(6, 4))
    for label, values in curves.items():
        axis.plot(range(1, max_turns + 1), values, marker="o", label=label)
    axis.set_xlabel("turns")
    axis.set_ylabel("share of customers who found their product")
    axis.set_ylim(0, 1)
    axis.grid(alpha=0.3)
    axis.legend()
    axis.set_title("Simulated customers: success within N turns")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Simulated-customer evaluation of feedback re-ranking")
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--max-turns", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    base = get_settings()
    retriever = Retriever.open(base)
    targets = choose_targets(retriever, args.customers, args.seed)
    model = latest_model()
    results: dict[str, object] = {"customers": args.customers, "max_turns": args.max_turns, "seed": args.seed, "catalog_items": len(retriever.snapshot.products)}
    curves: dict[str, list[float]] = {}
    started = time.perf_counter()
    for label, enabled in (("with_feedback", True), ("without_feedback", False)):
        settings = Settings(**{**base.model_dump(), "rasa_port": free_port(), "action_port": free_port(), "feedback_rerank": enabled})
        with Stack(settings=settings, model=model):
            outcomes = asyncio.run(run_condition(settings.resolved_rasa_url, retriever, label, targets, args.seed, args.max_turns, args.concurrency))
        results[label] = summarise(outcomes, args.max_turns)
        curves[label.replace("_", " ")] = [sum(1 for o in outcomes if o.found_at and o.found_at <= k) / len(outcomes) for k in range(1, args.max_turns + 1)]
    forget_simulated_customers(base, [f"sim-{label}-{args.seed}-{i}" for label in ("with_feedback", "without_feedback") for i in range(args.customers)])
    with_fb, without_fb = results["with_feedback"], results["without_feedback"]
    results["success_at_5_ratio"] = with_fb["success_at_5"] / without_fb["success_at_5"] if without_fb["success_at_5"] else None  # type: ignore[index]
    results["seconds"] = round(time.perf_counter() - started, 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "feedback.json").write_text(json.dumps(results, indent=2) + "\n")
    plot(curves, RESULTS / "feedback_success.png", args.max_turns)
    print(f"feedback simulation: {args.customers} customers; success@5 with feedback {with_fb['success_at_5']:.2f} vs without {without_fb['success_at_5']:.2f}; "  # type: ignore[index]
          f"mean turns {with_fb['mean_turns']:.2f} vs {without_fb['mean_turns']:.2f}; {results['seconds']}s")  # type: ignore[index]
    return 0


if __name__ == "__main__":
    sys.exit(main())
