"""Turn cost: our assistant against the stock ``rasa init`` bot, side by side in one run, and where our turn's time goes.

Both are served by the same Rasa on the same machine and reached the same way, on Rasa's REST
channel (ours with the headers the web app's widget sends: Rasa's token, the message id as
Idempotency-Key, ``receives_live``). Both run at once; the measurements interleave so machine
noise falls on both alike:

- one customer: conversations alternate ours / stock (the order flips every round), p50 and p95
  per turn, and the ratio of the p50s with a 95 % bootstrap interval (conversations resampled);
- saturation: 20 closed-loop customers (no think time) on one bot at a time, in blocks ordered
  ours, stock, stock, ours, ... ; turns per second over all blocks of each;
- the profile (ours only, after the comparison): both servers restarted with ``SHOP_TURN_PROFILE``
  (``shop/turn_profile.py``) for the stage table, and py-spy flame graphs of both processes.

Ours is the embedded stack of ``make run`` (SQLite tracker and lock stores, ``settings.rasa_workers``
Rasa workers, one action server) on the ingested demo catalog, or production mode with ``--mode prod``. Its script
is a shopping conversation (search, refine, negate, cheaper, select, details); the stock bot's
is the moodbot's (``benchmarks/stock_bot.py``). Every answer is checked: ours must show products
where the script searches, and no turn may fail.

Usage:
  .venv-ml/bin/python benchmarks/turn_cost.py [--label after] [--rounds 40] [--block-seconds 30]
Writes benchmarks/results/turn_cost.json (``vs_stock``, ``stages.<label>``, ``runs.<label>``) and
the flame graphs benchmarks/results/turn_cost_<label>_{rasa,actions}.svg.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from tqdm import tqdm

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks import stock_bot  # noqa: E402
from benchmarks.measure import machine, merge_results  # noqa: E402
from benchmarks.turn_stages import format_table, read_records, stage_table  # noqa: E402
from shop.messages import IDEMPOTENCY_HEADER, RECEIVES_LIVE  # noqa: E402
from shop.ops.stack import Stack, free_port, latest_model  # noqa: E402
from shop.settings import Settings, get_settings  # noqa: E402
from shop.turn_profile import PROFILE_VARIABLE  # noqa: E402

RESULTS = REPO / "benchmarks" / "results"
WORK = REPO / "var" / "bench" / "turn_cost"
PY_SPY = Path(sys.executable).parent / "py-spy"
# Search, refine, negate, cheaper, select, details: the turns the issue of a shop assistant is made of.
OURS_SCRIPT: tuple[str, ...] = ("show me running shoes for men", "only black ones", "not nike", "cheaper",
                                "i like the second one", "tell me more about the first one")
SEARCH_TURNS = (0, 1, 2, 3)  # these must answer with product cards


@dataclass
class Bot:
    """One of the two bots as a client sees it."""

    name: str
    url: str
    script: tuple[str, ...]
    token: str = ""  # ours: Rasa's token, the message id as Idempotency-Key and live delivery, as the widget's turns

    async def say(self, client: httpx.AsyncClient, sender: str, text: str) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"sender": sender, "message": text}
        headers = {}
        if self.token:
            body["metadata"] = {RECEIVES_LIVE: True}
            headers = {"Authorization": f"Bearer {self.token}", IDEMPOTENCY_HEADER: uuid.uuid4().hex}
        response = await client.post(f"{self.url}/webhooks/rest/webhook", json=body, headers=headers)
        response.raise_for_status()
        answer = response.json()
        if not isinstance(answer, list) or not answer:
            raise RuntimeError(f"{self.name}: empty answer to {text!r}")
        return answer


@dataclass
class Tally:
    """Per-turn latencies (grouped by conversation) and what went wrong."""

    conversations: list[list[float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    missing_cards: int = 0

    @property
    def latencies(self) -> list[float]:
        return [ms for conversation in self.conversations for ms in conversation]


def _has_cards(answer: list[dict[str, Any]]) -> bool:
    return any(isinstance(m.get("custom"), dict) and m["custom"].get("products") for m in answer)


async def converse(client: httpx.AsyncClient, bot: Bot, tally: Tally | None) -> int:
    """One conversation of ``bot``'s script as a new customer; its turn times go to ``tally``. Returns turns done."""
    sender = f"bench-{bot.name}-{uuid.uuid4().hex[:12]}"
    times: list[float] = []
    for index, text in enumerate(bot.script):
        started = time.perf_counter()
        try:
            answer = await bot.say(client, sender, text)
        except (httpx.HTTPError, RuntimeError, ValueError) as error:
            if tally is not None:
                tally.errors.append(f"{bot.name}: {type(error).__name__}: {error}"[:300])
            break
        times.append((time.perf_counter() - started) * 1000)
        if tally is not None and bot.token and index in SEARCH_TURNS and not _has_cards(answer):
            tally.missing_cards += 1
    if tally is not None:
        tally.conversations.append(times)
    return len(times)


def _p(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 2) if values else float("nan")


def _p50_ratio_ci(ours: list[list[float]], stock: list[list[float]]) -> tuple[float, float]:
    """95 % interval of p50(ours) / p50(stock), resampling whole conversations of each."""
    rng = np.random.default_rng(0)
    ratios = []
    for _ in range(2000):
        a = [ms for i in rng.integers(0, len(ours), len(ours)) for ms in ours[i]]
        b = [ms for i in rng.integers(0, len(stock), len(stock)) for ms in stock[i]]
        ratios.append(np.percentile(a, 50) / np.percentile(b, 50))
    low, high = np.percentile(ratios, [2.5, 97.5])
    return round(float(low), 3), round(float(high), 3)


async def single_customer(ours: Bot, stock: Bot, rounds: int) -> dict[str, Any]:
    """Conversations one at a time, alternating the bots, the order flipped every round."""
    tallies = {ours.name: Tally(), stock.name: Tally()}
    async with httpx.AsyncClient(timeout=60.0) as client:
        for bot in (ours, stock, ours, stock):  # warm-up: first calls load lazily built parts
            await converse(client, bot, None)
        for round_ in tqdm(range(rounds), desc="one customer", unit="round", mininterval=5):
            for bot in ((ours, stock) if round_ % 2 == 0 else (stock, ours)):
                await converse(client, bot, tallies[bot.name])
    for name, tally in tallies.items():
        if not tally.latencies:
            raise SystemExit(f"error: no turn of {name} was answered; first errors: {tally.errors[:3]}")
    result: dict[str, Any] = {}
    for name, tally in tallies.items():
        result[name] = {"turns": len(tally.latencies), "conversations": len(tally.conversations), "errors": len(tally.errors),
                        "p50_ms": _p(tally.latencies, 50), "p95_ms": _p(tally.latencies, 95), "error_samples": tally.errors[:3]}
    result[ours.name]["search_turns_without_products"] = tallies[ours.name].missing_cards
    result["p50_ratio"] = round(result[ours.name]["p50_ms"] / result[stock.name]["p50_ms"], 3)
    result["p50_ratio_ci95"] = list(_p50_ratio_ci(tallies[ours.name].conversations, tallies[stock.name].conversations))
    return result


async def closed_loop(bot: Bot, customers: int, seconds: float, tally: Tally) -> int:
    """``customers`` conversing back to back for ``seconds``; returns the turns answered in that time."""
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=customers, max_keepalive_connections=customers)

    async def customer(client: httpx.AsyncClient) -> int:
        done = 0
        while time.monotonic() < deadline:
            done += await converse(client, bot, tally)
        return done

    async with httpx.AsyncClient(timeout=60.0, limits=limits) as client:
        counts = await asyncio.gather(*(customer(client) for _ in range(customers)))
    return sum(counts)


async def saturation(ours: Bot, stock: Bot, customers: int, block_seconds: float, blocks: int) -> dict[str, Any]:
    """Turns per second with ``customers`` closed-loop customers, blocks ordered ours, stock, stock, ours, ..."""
    order = [ours, stock, stock, ours] * ((blocks + 1) // 2)
    order = order[: 2 * blocks]
    turns = {ours.name: 0, stock.name: 0}
    seconds = {ours.name: 0.0, stock.name: 0.0}
    tallies = {ours.name: Tally(), stock.name: Tally()}
    for bot in tqdm(order, desc=f"{customers} customers", unit="block"):
        started = time.monotonic()
        turns[bot.name] += await closed_loop(bot, customers, block_seconds, tallies[bot.name])
        seconds[bot.name] += time.monotonic() - started
    result: dict[str, Any] = {"customers": customers, "block_seconds": block_seconds, "blocks_each": blocks}
    for name in turns:
        tally = tallies[name]
        result[name] = {"turns": turns[name], "seconds": round(seconds[name], 1), "turns_per_s": round(turns[name] / seconds[name], 2),
                        "p50_ms": _p(tally.latencies, 50), "p95_ms": _p(tally.latencies, 95), "errors": len(tally.errors),
                        "error_samples": tally.errors[:3]}
    result[ours.name]["search_turns_without_products"] = tallies[ours.name].missing_cards
    result["turns_per_s_ratio"] = round(result[ours.name]["turns_per_s"] / result[stock.name]["turns_per_s"], 3)
    return result


def _ours_settings(work: Path) -> Settings:
    """The app's settings (its ingested catalog and index) on free ports, with a tracker store of its own."""
    base = get_settings()
    return Settings(**{**base.model_dump(), "var_dir": work / "ours", "database_url": base.resolved_database_url,
                       "index_dir": base.resolved_index_dir, "rasa_port": free_port(), "action_port": free_port(),
                       "web_port": free_port()})


def _flame_graph(pid: int, out: Path, seconds: int) -> subprocess.Popen[bytes]:
    """py-spy sampling ``pid`` and its workers for ``seconds`` into an SVG flame graph (on-CPU samples only)."""
    return subprocess.Popen([str(PY_SPY), "record", "--pid", str(pid), "--subprocesses", "--duration", str(seconds), "--rate", "200",
                             "--nonblocking", "--format", "flamegraph", "--output", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def profile(label: str, conversations: int, work: Path) -> dict[str, Any]:
    """Our stack restarted with stage timing on; one customer's conversations under py-spy."""
    records = work / "profile.jsonl"
    records.unlink(missing_ok=True)
    os.environ[PROFILE_VARIABLE] = str(records)
    try:
        settings = _ours_settings(work)
        shutil.rmtree(settings.var_dir, ignore_errors=True)
        with Stack(settings=settings, model=latest_model()) as stack:
            ours = Bot("ours", settings.resolved_rasa_url, OURS_SCRIPT, token=settings.resolved_rasa_token)

            async def run(count: int) -> None:
                async with httpx.AsyncClient(timeout=60.0) as client:
                    for _ in tqdm(range(count), desc="profile", unit="conversation", mininterval=5):
                        await converse(client, ours, None)

            asyncio.run(run(3))  # warm-up, not recorded
            records.unlink(missing_ok=True)
            started = time.monotonic()
            asyncio.run(run(conversations))
            seconds = max(5, int(time.monotonic() - started) + 2)
            timed = read_records(records)
            graphs = {}
            spies = []
            if PY_SPY.exists():
                for server, name in ((stack.servers[1], "rasa"), (stack.servers[0], "actions")):
                    out = RESULTS / f"turn_cost_{label}_{name}.svg"
                    graphs[name] = str(out.relative_to(REPO))
                    spies.append(_flame_graph(server.process.pid, out, seconds))
                asyncio.run(run(conversations))
                for spy in spies:
                    spy.wait(timeout=seconds + 60)
    finally:
        os.environ.pop(PROFILE_VARIABLE, None)
    table = stage_table(timed)
    print(format_table(table), flush=True)
    return {**table, "flame_graphs": graphs}


def _start_ours(mode: str, servers: ExitStack) -> Bot:
    """Our stack as ``make run`` (embedded) or ``make prod`` starts it; the bot as the web app reaches it."""
    if mode == "prod":
        from shop.ops.prod import ProdStack

        base = get_settings()
        prod = servers.enter_context(ProdStack(settings=base.model_copy(update={"var_dir": base.var_dir / "prod"}),
                                               model=latest_model(), web=False))
        return Bot("ours", prod.rasa_url, OURS_SCRIPT, token=prod.token)
    settings = _ours_settings(WORK)
    shutil.rmtree(settings.var_dir, ignore_errors=True)
    servers.enter_context(Stack(settings=settings, model=latest_model()))
    return Bot("ours", settings.resolved_rasa_url, OURS_SCRIPT, token=settings.resolved_rasa_token)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["embedded", "prod"], default="embedded",
                        help="ours as `make run` starts it, or production mode (`make prod`: 2 Rasa replicas behind nginx)")
    parser.add_argument("--label", default="after", help="'before' or 'after' a change: where the figures go")
    parser.add_argument("--rounds", type=int, default=40, help="one-customer rounds (one conversation of each bot)")
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument("--block-seconds", type=float, default=30.0)
    parser.add_argument("--blocks", type=int, default=2, help="saturation blocks per bot")
    parser.add_argument("--profile-conversations", type=int, default=30, help="embedded mode: conversations profiled")
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    stock_dir = WORK / "stock_bot"
    stock_model = stock_bot.build(stock_dir)
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    with ExitStack() as servers:
        stock_server = stock_bot.start(stock_dir, stock_model, free_port())
        servers.callback(stock_server.stop)
        ours = _start_ours(args.mode, servers)
        stock = Bot("stock", stock_server.health_url.rstrip("/"), stock_bot.SCRIPT)
        single = asyncio.run(single_customer(ours, stock, args.rounds))
        print(f"one customer: ours p50 {single['ours']['p50_ms']} ms, stock {single['stock']['p50_ms']} ms, "
              f"ratio {single['p50_ratio']} {single['p50_ratio_ci95']}", flush=True)
        loaded = asyncio.run(saturation(ours, stock, args.customers, args.block_seconds, args.blocks))
        print(f"{args.customers} customers: ours {loaded['ours']['turns_per_s']} turns/s, stock {loaded['stock']['turns_per_s']}, "
              f"ratio {loaded['turns_per_s_ratio']}", flush=True)
    vs_stock = {"single_p50_ratio": single["p50_ratio"], "single_p50_ratio_ci95": single["p50_ratio_ci95"],
                "saturation_ratio": loaded["turns_per_s_ratio"], "single_p50_ms": {"ours": single["ours"]["p50_ms"], "stock": single["stock"]["p50_ms"]},
                "saturation_turns_per_s": {"ours": loaded["ours"]["turns_per_s"], "stock": loaded["stock"]["turns_per_s"]}}
    run = {"mode": args.mode, "started_at": started_at, "machine": machine(), "model": latest_model().name, "stock_model": stock_model.name,
           "ours_script": list(OURS_SCRIPT), "stock_script": list(stock_bot.SCRIPT), "vs_stock": vs_stock,
           "single": single, "saturation": loaded}
    if args.mode == "prod":
        update: dict[str, Any] = {"production": {args.label: run}}
    else:
        update = {"runs": {args.label: run}, "stages": {args.label: profile(args.label, args.profile_conversations, WORK)}}
        if args.label == "after":
            update["vs_stock"] = vs_stock
    path = merge_results("turn_cost", update)
    errors = {name: single[name]["errors"] + loaded[name]["errors"] for name in ("ours", "stock")}
    print(f"turn cost ({args.mode}, {args.label}): one customer {single['p50_ratio']}x the stock bot's p50 (target <= 1.0); "
          f"{args.customers} customers {loaded['turns_per_s_ratio']}x its turns/s (target >= 1.5); errors {errors}; "
          f"wrote {path.relative_to(REPO)}", flush=True)
    return 1 if any(errors.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
