"""Turn latency through the real Rasa server (REST channel) and action server.

A scripted 10-turn shopping conversation is replayed by one customer at a time, then by 20
customers at once. Every turn's wall time is measured at the client, so it includes NLU, policy
prediction, the action call, retrieval and re-ranking. Writes benchmarks/results/dialogue.json.

Usage: python benchmarks/dialogue_benchmark.py [--repeats 10] [--concurrent 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

import httpx
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.chat_client import ChatSession, percentile  # noqa: E402
from shop.ops.stack import Stack, free_port, latest_model  # noqa: E402
from shop.settings import REPO_ROOT, Settings, get_settings  # noqa: E402

SCRIPT = [
    "hi",
    "show me black running shoes for men",
    "in blue",
    "under 120",
    "show me more",
    "the second one",
    "what sizes does it come in",
    "compare the first and the third",
    "show me more like the first",
    "thanks, bye",
]


async def conversation(client: httpx.AsyncClient, url: str, sender: str) -> tuple[list[float], int]:
    session = ChatSession(client, url, sender)
    latencies, errors = [], 0
    for text in SCRIPT:
        try:
            turn = await session.say(text)
            latencies.append(turn.seconds * 1000)
            errors += 0 if turn.messages else 1  # every turn of the script must get an answer
        except httpx.HTTPError:
            errors += 1
    return latencies, errors


async def measure(url: str, repeats: int, concurrent: int) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    async with httpx.AsyncClient(timeout=60.0, limits=httpx.Limits(max_connections=concurrent + 5)) as client:
        await conversation(client, url, "warm-up")
        single: list[float] = []
        errors = 0
        for repeat in tqdm(range(repeats), desc="single customer", unit="conversation"):
            latencies, failed = await conversation(client, url, f"single-{repeat}-{time.time_ns()}")
            single += latencies
            errors += failed
        results["single"] = summary(single, errors)
        progress = tqdm(total=concurrent, desc=f"{concurrent} concurrent", unit="conversation")

        async def tracked(index: int) -> tuple[list[float], int]:
            outcome = await conversation(client, url, f"concurrent-{index}-{time.time_ns()}")
            progress.update(1)
            return outcome

        started = time.perf_counter()
        outcomes = await asyncio.gather(*(tracked(i) for i in range(concurrent)))
        elapsed = time.perf_counter() - started
        progress.close()
        merged = [value for latencies, _ in outcomes for value in latencies]
        results[f"concurrent_{concurrent}"] = {**summary(merged, sum(e for _, e in outcomes)), "turns_per_second": round(len(merged) / elapsed, 2)}
    return results


def summary(latencies: list[float], errors: int) -> dict[str, float]:
    return {
        "turns": len(latencies), "errors": errors,
        "p50_ms": round(percentile(latencies, 0.50), 1), "p95_ms": round(percentile(latencies, 0.95), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1), "max_ms": round(max(latencies), 1) if latencies else float("nan"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--concurrent", type=int, default=20)
    args = parser.parse_args(argv)
    base = get_settings()
    settings = Settings(**{**base.model_dump(), "rasa_port": free_port(), "action_port": free_port()})
    with Stack(settings=settings, model=latest_model()):
        results: dict[str, object] = dict(asyncio.run(measure(settings.resolved_rasa_url, args.repeats, args.concurrent)))
    results["script_turns"] = len(SCRIPT)
    out = REPO_ROOT / "benchmarks" / "results" / "dialogue.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    single, many = results["single"], results[f"concurrent_{args.concurrent}"]
    print(f"dialogue latency: single p50 {single['p50_ms']} ms / p95 {single['p95_ms']} ms; "  # type: ignore[index]
          f"{args.concurrent} concurrent p50 {many['p50_ms']} ms / p95 {many['p95_ms']} ms, errors {many['errors']}")  # type: ignore[index]
    return 0


if __name__ == "__main__":
    sys.exit(main())
