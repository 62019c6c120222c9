"""Requests for products the demo does and does not carry, through the real Rasa and action servers.

Each request (the evaluation half of benchmarks/catalog_requests.py; labels come from the source
catalogs, never from the assistant) opens a fresh conversation on the REST channel. An answer is
- "cards" when it shows product cards,
- "not carried" when it says the shop does not sell it (the ``not_carried`` payload),
- "declined" when it shows no cards and answers out of scope or asks to rephrase.
A not-carried request is handled right when no cards are shown (not carried or declined; the
explicit "we don't sell X" share is reported too); a carried one when cards are shown.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from tqdm import tqdm

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.catalog_requests import Request, build_requests  # noqa: E402
from benchmarks.chat_client import ChatSession, Turn  # noqa: E402
from benchmarks.measure import merge_results, rate  # noqa: E402

PER_CLASS = 700  # about half land in the evaluation half: at least 300 of each class are sent
CONCURRENCY = 4


def classify(turn: Turn) -> str:
    """"cards", "not_carried" or "declined"."""
    if turn.cards():
        return "cards"
    for message in turn.messages:
        custom = message.get("custom")
        if isinstance(custom, dict) and custom.get("type") == "not_carried":
            return "not_carried"
    return "declined"


async def ask_all(url: str, requests: list[Request]) -> list[tuple[Request, str, str]]:
    """Send every request in its own conversation; (request, outcome, answer text)."""
    outcomes: list[tuple[Request, str, str]] = []
    semaphore = asyncio.Semaphore(CONCURRENCY)
    progress = tqdm(total=len(requests), desc="out-of-catalog requests", unit="request")
    async with httpx.AsyncClient(timeout=60.0) as client:

        async def one(index: int, request: Request) -> None:
            async with semaphore:
                session = ChatSession(client, url, f"catalog-{index}-{time.time_ns()}")
                turn = await session.say(request.text)
                outcomes.append((request, classify(turn), turn.text_out()[:200]))
                progress.update(1)

        await asyncio.gather(*(one(i, r) for i, r in enumerate(requests)))
    progress.close()
    return outcomes


def stage_catalog() -> dict[str, Any]:
    """Ingest the demo (incremental), start the servers with the newest model, send the evaluation half."""
    from retrieval.ingest import ingest
    from shop.ops.stack import Stack, free_port, latest_model
    from shop.settings import Settings, get_settings

    base = get_settings()
    settings = Settings(**{**base.model_dump(), "rasa_port": free_port(), "action_port": free_port()})
    ingest(settings)
    requests = [r for r in build_requests(PER_CLASS) if r.split == "eval"]
    model = latest_model()
    with Stack(settings=settings, model=model):
        outcomes = asyncio.run(ask_all(settings.resolved_rasa_url, requests))
    not_carried = [(r, o) for r, o, _ in outcomes if not r.carried]
    carried = [(r, o) for r, o, _ in outcomes if r.carried]
    mistakes = [{"text": r.text, "carried": r.carried, "outcome": o, "answer": a} for r, o, a in outcomes
                if (o == "cards") != r.carried][:40]
    result = {
        "not_carried_rate": rate([o != "cards" for _, o in not_carried]),
        "told_not_carried_rate": rate([o == "not_carried" for _, o in not_carried]),
        "in_catalog_answered_rate": rate([o == "cards" for _, o in carried]),
        "outcomes": {"not_carried": dict(Counter(o for _, o in not_carried)), "carried": dict(Counter(o for _, o in carried))},
        "model": Path(model).name,
        "examples_of_mistakes": mistakes,
        "protocol": __doc__.strip().split("\n\n", 1)[1],
    }
    merge_results("robustness", {"out_of_catalog": result})
    print(f"[robustness] out of catalog: not carried {result['not_carried_rate']['value']:.3f} of {len(not_carried)}, "
          f"in catalog answered {result['in_catalog_answered_rate']['value']:.3f} of {len(carried)}", flush=True)
    return result
