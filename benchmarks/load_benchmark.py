"""Load benchmark: simulated customers chatting at once, then a check that no turn was lost.

Each simulated customer runs scripted shopping conversations back to back (think time 0) through the
REST channel: a new sender id per conversation. Per concurrency level it records throughput, turn
latency p50/p95/p99, errors, and lost turns: after the level, every turn that was answered must be a
``user`` event in the tracker store (PostgreSQL queried directly in production mode, Rasa's tracker
API otherwise). In production mode it also splits the time between Rasa and the action servers from
nginx's JSON access log.

Usage:
  python benchmarks/load_benchmark.py                    # starts production mode itself (var/prod)
  python benchmarks/load_benchmark.py --url http://127.0.0.1:6400 --token-file var/prod/rasa_token
  python benchmarks/load_benchmark.py --embedded --duration 30   # one Rasa + one action server, SQLite
Writes benchmarks/results/load.json (fuzz figures merged from var/test-results/fuzz.json if present).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from tqdm import tqdm

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.load_checks import action_time_breakdown, stored_user_turns_api, stored_user_turns_sql  # noqa: E402

SCRIPTS: tuple[tuple[str, ...], ...] = (
    ("hi", "show me black running shoes for men", "under 80 dollars", "not nike", "show more", "tell me about the second one", "thanks", "bye"),
    ("hello", "i need a blue shirt for women", "cheaper", "what sizes does the first one come in", "add the first one to my cart", "bye"),
    ("looking for a watch for men", "only black ones", "compare the first and the second", "more like the first one", "thank you"),
    ("show me kurtas for women", "something for a party", "between 20 and 40 dollars", "show more", "i like the third one", "goodbye"),
    ("hey", "casual tshirts for boys", "no red", "what is the first one made of", "show me what filters you are using", "bye"),
)


@dataclass
class LevelResult:
    """What one concurrency level measured."""

    concurrency: int
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    answered: dict[str, list[str]] = field(default_factory=dict)  # sender -> texts answered with 200
    conversations: int = 0
    started: float = 0.0
    elapsed: float = 0.0

    def percentile(self, q: float) -> float:
        data = sorted(self.latencies_ms)
        if not data:
            return float("nan")
        return data[min(len(data) - 1, round(q / 100 * (len(data) - 1)))]

    def summary(self, lost: int, breakdown: dict[str, Any]) -> dict[str, Any]:
        turns = len(self.latencies_ms)
        return {
            "concurrency": self.concurrency, "duration_s": round(self.elapsed, 1), "turns": turns,
            "conversations": self.conversations, "throughput_turns_per_s": round(turns / self.elapsed, 2) if self.elapsed else 0.0,
            "p50_ms": round(self.percentile(50), 1), "p95_ms": round(self.percentile(95), 1), "p99_ms": round(self.percentile(99), 1),
            "max_ms": round(max(self.latencies_ms, default=0.0), 1),
            "errors": sum(self.errors.values()), "error_kinds": dict(self.errors), "lost_turns": lost, **breakdown,
        }


async def customer(client: httpx.AsyncClient, result: LevelResult, deadline: float, rng: random.Random, progress: tqdm) -> None:
    """One simulated customer: whole conversations until the deadline (the last one is cut short)."""
    while time.monotonic() < deadline:
        sender = f"load-{result.concurrency}-{uuid.uuid4().hex[:12]}"
        result.conversations += 1
        for text in rng.choice(SCRIPTS):
            if time.monotonic() >= deadline:
                return
            began = time.perf_counter()
            try:
                response = await client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
                ok = response.status_code == 200 and isinstance(response.json(), list)
                kind = "" if ok else f"http_{response.status_code}"
            except (httpx.HTTPError, ValueError) as error:
                ok, kind = False, type(error).__name__
            result.latencies_ms.append((time.perf_counter() - began) * 1000)
            progress.update(1)
            if ok:
                result.answered.setdefault(sender, []).append(text)
            else:
                result.errors[kind] += 1


async def run_level(url: str, concurrency: int, duration: float, seed: int) -> LevelResult:
    result = LevelResult(concurrency=concurrency)
    limits = httpx.Limits(max_connections=concurrency + 5, max_keepalive_connections=concurrency + 5)
    async with httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(60.0, connect=5.0), limits=limits) as client:
        result.started = time.time()
        began = time.monotonic()
        deadline = began + duration
        with tqdm(desc=f"{concurrency} customers", unit="turn", leave=False) as progress:
            await asyncio.gather(*(customer(client, result, deadline, random.Random(seed + i), progress) for i in range(concurrency)))
        result.elapsed = time.monotonic() - began
    return result


def lost_turns(answered: dict[str, list[str]], stored: dict[str, list[str]]) -> int:
    """Answered turns with no matching ``user`` event (same sender, same text, counted with multiplicity)."""
    return sum(sum((Counter(texts) - Counter(stored.get(sender, []))).values()) for sender, texts in answered.items())


def machine_note(load_before: tuple[float, float, float]) -> str:
    """Cores and load averages, so a reader can tell an idle run from one shared with other jobs."""
    after = os.getloadavg()
    return f"{os.cpu_count()} CPU cores, no GPU; 1-minute load average {load_before[0]:.1f} at the start, 15-minute {after[2]:.1f} at the end"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Concurrent simulated customers against the assistant.")
    parser.add_argument("--duration", type=float, default=300.0, help="seconds per concurrency level (default 300)")
    parser.add_argument("--levels", default="20,50", help="comma-separated concurrency levels")
    parser.add_argument("--embedded", action="store_true", help="start the embedded stack (one Rasa, SQLite) instead")
    parser.add_argument("--url", help="benchmark an already running stack at this URL (not started here)")
    parser.add_argument("--token-file", type=Path, help="Rasa API token (for the tracker check with --url)")
    parser.add_argument("--model", type=Path, help="trained model (default: newest in models/)")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "load.json")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    levels = [int(level) for level in args.levels.split(",") if level.strip()]
    if args.duration <= 0 or not levels or min(levels) < 1:
        parser.error("--duration must be > 0 and --levels positive integers, e.g. 20,50")

    from shop.ops.stack import Stack, StackError, latest_model
    from shop.settings import get_settings

    settings = get_settings()
    mode = "url" if args.url else ("embedded" if args.embedded else "production")
    load_before = os.getloadavg()
    report: dict[str, Any] = {"mode": mode, "duration_s_per_level": args.duration, "think_time_s": 0.0,
                              "started_at": datetime.now(UTC).isoformat(timespec="seconds"), "scripts": len(SCRIPTS)}
    with ExitStack() as stack:
        try:
            model = args.model or (None if mode == "url" else latest_model())
            if mode == "production":
                from shop.ops.prod import ProdStack

                prod_settings = settings.model_copy(update={"var_dir": settings.var_dir / "prod"})
                print("starting production mode (PostgreSQL, Redis, 2 Rasa replicas, 2 action workers, nginx) ...", flush=True)
                assert model is not None
                prod = stack.enter_context(ProdStack(settings=prod_settings, model=model, web=False))
                url, token, tracker_db = prod.public_url, prod.token, prod.pg.url("rasa")
                report["topology"] = {"rasa_replicas": len(prod.rasa_ports), "action_workers": len(prod.action_ports),
                                      "tracker_store": "PostgreSQL", "lock_store": "Redis", "balancer": "nginx least_conn"}
            elif mode == "embedded":
                print("starting the embedded stack (one Rasa, one action server, SQLite) ...", flush=True)
                embedded = settings.model_copy(update={"rasa_port": 5430, "action_port": 5431})
                assert model is not None
                stack.enter_context(Stack(settings=embedded, model=model))
                url, token, tracker_db = embedded.resolved_rasa_url, embedded.resolved_rasa_token, None
            else:
                url, tracker_db = args.url.rstrip("/"), None
                token = args.token_file.read_text().strip() if args.token_file else settings.resolved_rasa_token
        except StackError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        report["model"] = model.name if model else "(already running)"
        for concurrency in levels:
            result = asyncio.run(run_level(url, concurrency, args.duration, args.seed + concurrency))
            time.sleep(3)  # nginx flushes its access log every 2 s
            senders = list(result.answered)
            stored = stored_user_turns_sql(tracker_db, senders) if tracker_db else asyncio.run(stored_user_turns_api(url, token, senders))
            breakdown = {} if mode == "embedded" else action_time_breakdown(settings.var_dir / "prod" / "logs" / "nginx-access.log", result.started)
            report[f"concurrent_{concurrency}"] = result.summary(lost_turns(result.answered, stored), breakdown)
            print(f"{concurrency} customers: " + json.dumps(report[f"concurrent_{concurrency}"]), flush=True)
    fuzz_file = settings.var_dir / "test-results" / "fuzz.json"
    if fuzz_file.exists():
        report["fuzz"] = {**json.loads(fuzz_file.read_text()), "source": "tests/reliability/test_fuzz.py against production mode (nginx -> 2 Rasa replicas, web app)"}
    elif args.out.exists():
        previous = json.loads(args.out.read_text())
        if "fuzz" in previous:
            report["fuzz"] = previous["fuzz"]  # keep the last measured figures
    report["machine"] = machine_note(load_before)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    line = ", ".join(f"{c} customers p95 {report[f'concurrent_{c}']['p95_ms']:.0f} ms, {report[f'concurrent_{c}']['throughput_turns_per_s']} turns/s, "
                     f"{report[f'concurrent_{c}']['errors']} errors, {report[f'concurrent_{c}']['lost_turns']} lost" for c in levels)
    print(f"load benchmark ({mode}, {args.duration:.0f} s per level): {line} -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
