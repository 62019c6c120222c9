"""Load benchmark: simulated customers chatting at once through the published port, then checks that
no turn was lost or stored twice and no feedback or cart row was written twice.

Every simulated conversation is a new API customer of the web app (``POST /api/v1/customers``, then
``/api/v1/messages`` with a bearer token and a message id), from a loopback address of its own, as
customers on the internet come from addresses of their own: the web app's default rate limits
apply unchanged. Two workloads:

- closed loop (per level: that many customers, no think time): scripted conversations back to back,
  to find the throughput and what queueing does to latency;
- think time (``--think-customers`` customers, default 200): each waits ``--think-time`` seconds on
  average (uniformly 0.5x-1.5x) between an answer and its next message, as people do.

Per workload: throughput, turn latency p50/p95/p99, errors, lost turns (an answered turn missing from
the tracker store), doubled turns (a message id on two user events, or an event stored twice) and
doubled side effects (feedback, cart, handoff rows), all read from PostgreSQL directly. It also
splits the turn time between Rasa and the action servers from nginx's JSON access log.

Usage:
  python benchmarks/load_benchmark.py                    # starts production mode itself (var/prod)
  python benchmarks/load_benchmark.py --levels 20 --duration 60 --think-duration 60   # shorter
Writes benchmarks/results/load.json, merging the figures the reliability tests left in
var/test-results (fuzz.json, exactly_once.json, exposure.json, rate_limits.json) when present.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
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

from benchmarks.load_checks import (  # noqa: E402
    action_time_breakdown,
    doubled_side_effects_sql,
    doubled_turns_sql,
    stored_user_turns_sql,
)

SCRIPTS: tuple[tuple[str, ...], ...] = (
    ("hi", "show me black running shoes for men", "under 80 dollars", "not nike", "show more", "tell me about the second one", "thanks", "bye"),
    ("hello", "i need a blue shirt for women", "cheaper", "what sizes does the first one come in", "add the first one to my cart", "bye"),
    ("looking for a watch for men", "only black ones", "compare the first and the second", "more like the first one", "thank you"),
    ("show me kurtas for women", "something for a party", "between 20 and 40 dollars", "show more", "i like the third one", "goodbye"),
    ("hey", "casual tshirts for boys", "no red", "what is the first one made of", "show me what filters you are using", "bye"),
)
# Figures the reliability tests measured (tests/reliability), copied into load.json as they are.
TEST_RESULTS = {
    "fuzz": "tests/reliability/test_fuzz.py against production mode (published port: 2 web apps; Rasa's channel internally)",
    "exactly_once": "tests/reliability/test_faults.py: a Rasa replica killed mid-turn, a turn slower than nginx's timeout",
    "exposure": "tests/reliability/test_security.py: every internal API tried through the published port",
    "rate_limits": "tests/reliability/test_security.py: limits with 2 web-app replicas sharing Redis",
}
_addresses = itertools.count(1)


def next_address() -> str:
    """A loopback address no simulated customer used before (127.64.0.1, ...): one per conversation."""
    n = next(_addresses)
    return f"127.{64 + n // 65025}.{n // 255 % 255}.{n % 255 + 1}"


@dataclass
class LevelResult:
    """What one workload measured."""

    name: str
    customers: int
    think_time_s: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    answered: dict[str, list[str]] = field(default_factory=dict)  # customer id -> texts answered with 200
    conversations: int = 0
    started: float = 0.0
    elapsed: float = 0.0

    def percentile(self, q: float) -> float:
        data = sorted(self.latencies_ms)
        if not data:
            return float("nan")
        return data[min(len(data) - 1, round(q / 100 * (len(data) - 1)))]

    def summary(self, checks: dict[str, int], breakdown: dict[str, Any]) -> dict[str, Any]:
        turns = len(self.latencies_ms)
        return {
            "customers": self.customers, "think_time_s": self.think_time_s, "duration_s": round(self.elapsed, 1), "turns": turns,
            "conversations": self.conversations, "throughput_turns_per_s": round(turns / self.elapsed, 2) if self.elapsed else 0.0,
            "p50_ms": round(self.percentile(50), 1), "p95_ms": round(self.percentile(95), 1), "p99_ms": round(self.percentile(99), 1),
            "max_ms": round(max(self.latencies_ms, default=0.0), 1),
            "errors": sum(self.errors.values()), "error_kinds": dict(self.errors), **checks, **breakdown,
        }


async def conversation(url: str, result: LevelResult, deadline: float, rng: random.Random, progress: tqdm) -> None:
    """One simulated customer's conversation: a new token, from an address of its own, then its script."""
    transport = httpx.AsyncHTTPTransport(local_address=next_address())
    async with httpx.AsyncClient(base_url=url, transport=transport, timeout=httpx.Timeout(120.0, connect=5.0)) as client:
        try:
            issued = await client.post("/api/v1/customers")
            issued.raise_for_status()
        except httpx.HTTPError as error:
            result.errors[f"new_customer_{type(error).__name__}"] += 1
            await asyncio.sleep(1.0)
            return
        token, customer = issued.json()["token"], issued.json()["customer_id"]
        result.conversations += 1
        for text in rng.choice(SCRIPTS):
            if time.monotonic() >= deadline:
                return
            began = time.perf_counter()
            try:
                response = await client.post("/api/v1/messages", json={"message": text, "message_id": uuid.uuid4().hex},
                                             headers={"Authorization": f"Bearer {token}"})
                ok = response.status_code == 200 and isinstance(response.json().get("messages"), list)
                kind = "" if ok else f"http_{response.status_code}"
            except (httpx.HTTPError, ValueError) as error:
                ok, kind = False, type(error).__name__
            result.latencies_ms.append((time.perf_counter() - began) * 1000)
            progress.update(1)
            if ok:
                result.answered.setdefault(customer, []).append(text)
            else:
                result.errors[kind] += 1
            if result.think_time_s:
                await asyncio.sleep(rng.uniform(0.5, 1.5) * result.think_time_s)


async def customer(url: str, result: LevelResult, deadline: float, rng: random.Random, progress: tqdm) -> None:
    """One simulated customer slot: conversations back to back until the deadline (the last is cut short)."""
    if result.think_time_s:  # people do not all arrive in the same second
        await asyncio.sleep(rng.uniform(0, result.think_time_s))
    while time.monotonic() < deadline:
        await conversation(url, result, deadline, rng, progress)


async def run_level(url: str, result: LevelResult, duration: float, seed: int) -> LevelResult:
    result.started = time.time()
    began = time.monotonic()
    deadline = began + duration
    with tqdm(desc=result.name, unit="turn", leave=False) as progress:
        await asyncio.gather(*(customer(url, result, deadline, random.Random(seed + i), progress) for i in range(result.customers)))
    result.elapsed = time.monotonic() - began
    return result


def lost_turns(answered: dict[str, list[str]], stored: dict[str, list[str]]) -> int:
    """Answered turns with no matching ``user`` event (same sender, same text, counted with multiplicity)."""
    return sum(sum((Counter(texts) - Counter(stored.get(sender, []))).values()) for sender, texts in answered.items())


def machine_note(load_before: tuple[float, float, float]) -> str:
    """Cores and load averages, so a reader can tell an idle run from one shared with other jobs."""
    after = os.getloadavg()
    return f"{os.cpu_count()} CPU cores, no GPU; 1-minute load average {load_before[0]:.1f} at the start, 15-minute {after[2]:.1f} at the end"


def test_results(folder: Path, previous: dict[str, Any]) -> dict[str, Any]:
    """The reliability tests' figures: this run's files, else the last figures load.json held."""
    merged: dict[str, Any] = {}
    for name, source in TEST_RESULTS.items():
        path = folder / f"{name}.json"
        if path.exists():
            merged[name] = {**json.loads(path.read_text()), "source": source}
        elif name in previous:
            merged[name] = previous[name]
    return merged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Concurrent simulated customers against production mode, through its published port.")
    parser.add_argument("--duration", type=float, default=300.0, help="seconds per closed-loop level (default 300)")
    parser.add_argument("--levels", default="20,50", help="comma-separated closed-loop levels (customers, no think time)")
    parser.add_argument("--think-customers", type=int, default=200, help="customers of the think-time workload (0: skip it)")
    parser.add_argument("--think-time", type=float, default=5.0, help="mean seconds between an answer and the next message")
    parser.add_argument("--think-duration", type=float, default=300.0, help="seconds of the think-time workload")
    parser.add_argument("--model", type=Path, help="trained model (default: newest in models/)")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "load.json")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    levels = [int(level) for level in args.levels.split(",") if level.strip()]
    if args.duration <= 0 or min(levels, default=1) < 1 or args.think_customers < 0:
        parser.error("--duration must be > 0 and --levels positive integers, e.g. 20,50")

    from shop.ops.prod import ProdStack
    from shop.ops.stack import StackError, latest_model
    from shop.settings import get_settings

    settings = get_settings()
    previous = json.loads(args.out.read_text()) if args.out.exists() else {}
    load_before = os.getloadavg()
    report: dict[str, Any] = {"mode": "production", "duration_s_per_level": args.duration,
                              "started_at": datetime.now(UTC).isoformat(timespec="seconds"), "scripts": len(SCRIPTS)}
    workloads = [LevelResult(name=f"concurrent_{c}", customers=c) for c in levels]
    if args.think_customers:
        workloads.append(LevelResult(name=f"think_{args.think_customers}", customers=args.think_customers, think_time_s=args.think_time))
    with ExitStack() as stack:
        try:
            model = args.model or latest_model()
            prod_settings = settings.model_copy(update={"var_dir": settings.var_dir / "prod"})
            print("starting production mode (PostgreSQL, Redis, 2 Rasa replicas, 2 action workers, 2 web apps, nginx) ...", flush=True)
            prod = stack.enter_context(ProdStack(settings=prod_settings, model=model))
        except StackError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        url = prod.public_url
        report["model"] = model.name
        report["topology"] = {"entry": "nginx public port -> web apps (bearer-token API) -> nginx -> Rasa replicas",
                              "web_apps": len(prod.web_ports), "rasa_replicas": len(prod.rasa_ports), "action_workers": len(prod.action_ports),
                              "tracker_store": "PostgreSQL", "lock_store": "Redis", "balancer": "nginx least_conn",
                              "rate_limits": {"per_customer": prod_settings.rate_per_customer, "per_ip": prod_settings.rate_per_ip,
                                              "window_s": prod_settings.rate_window_seconds,
                                              "note": "defaults; every simulated conversation is a new customer from its own address"}}
        for number, workload in enumerate(workloads):
            duration = args.think_duration if workload.think_time_s else args.duration
            asyncio.run(run_level(url, workload, duration, args.seed + 1000 * number))
            time.sleep(3)  # nginx flushes its access log every 2 s
            customers = list(workload.answered)
            stored = stored_user_turns_sql(prod.pg.url("rasa"), customers)
            checks = {"lost_turns": lost_turns(workload.answered, stored),
                      "doubled_turns": doubled_turns_sql(prod.pg.url("rasa"), customers),
                      "doubled_side_effects": doubled_side_effects_sql(prod.pg.url("shop"), customers)}
            breakdown = action_time_breakdown(prod.logs / "nginx-access.log", workload.started)
            report[workload.name] = workload.summary(checks, breakdown)
            print(f"{workload.name}: " + json.dumps(report[workload.name]), flush=True)
    report.update(test_results(settings.var_dir / "test-results", previous))
    report["machine"] = machine_note(load_before)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    line = ", ".join(f"{w.name} p95 {report[w.name]['p95_ms']:.0f} ms, {report[w.name]['throughput_turns_per_s']} turns/s, "
                     f"{report[w.name]['errors']} errors, {report[w.name]['lost_turns']} lost, {report[w.name]['doubled_turns']} doubled"
                     for w in workloads)
    print(f"load benchmark: {line} -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
