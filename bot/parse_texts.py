"""Parse texts with a trained Rasa model (run with ``.venv-rasa/bin/python``).

    python -m bot.parse_texts MODEL.tar.gz TEXTS.json OUT.jsonl

Why a separate program: the NLU benchmark and the retrain gate (``review/gate.py``) run in the torch
environment, while a Rasa model (ours or DIET) can only be loaded in the Rasa environment. One JSON line per text: the final
intent, the ranking and the entities, exactly as Rasa's ``/model/parse`` would return them.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path


async def _parse_all(model: str, texts: list[str]) -> list[dict]:
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    results = []
    for text in texts:
        started = time.perf_counter()
        parsed = await agent.parse_message(text)
        parsed["latency_ms"] = (time.perf_counter() - started) * 1000
        results.append(parsed)
    return results


def main() -> None:
    """Write one parse result per input text."""
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    model, texts_file, out = sys.argv[1:]
    texts = json.loads(Path(texts_file).read_text(encoding="utf-8"))
    results = asyncio.run(_parse_all(model, texts))
    Path(out).write_text("".join(json.dumps(r, default=str) + "\n" for r in results), encoding="utf-8")
    print(f"parsed {len(results)} texts with {model}")


if __name__ == "__main__":
    main()
