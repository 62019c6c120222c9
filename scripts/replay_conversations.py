"""Replay the demo conversations through the real Rasa server and write their transcripts to docs/.

Each conversation in DEMOS is sent turn by turn to a freshly started stack (Rasa + action server on
the demo catalog); the transcript (customer, bot text, product cards in text form, buttons) goes to
docs/conversations/<name>.md so anyone can read what the assistant really does.

Usage: python scripts/replay_conversations.py
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.chat_client import ChatSession  # noqa: E402
from shop.ops.chat import render  # noqa: E402
from shop.ops.stack import Stack, free_port, latest_model  # noqa: E402
from shop.settings import REPO_ROOT, Settings, get_settings  # noqa: E402

DEMOS: dict[str, list[str]] = {
    "01-running-shoes-refined": [
        "hi", "show me black running shoes for men", "in white", "under 100", "the second one",
        "what sizes does it come in", "add it to my cart", "thanks, bye",
    ],
    "02-dress-no-results-relaxed": [
        "i'm looking for a purple party dress for women under 10 dollars", "any colour is fine", "show me more", "the first one",
    ],
    "03-compare-and-more-like-this": [
        "do you have watches for women", "compare the first and the second", "show me more like the second", "why did you show me the first one",
    ],
    "04-feedback-and-negation": [
        "casual shoes for men", "not nike", "i don't like the first one", "i love the second one", "what filters are on",
    ],
    "05-handoff": [
        "hello", "what's the weather tomorrow", "i want to talk to a human",
    ],
    "06-open-world": [
        "do you sell sofas?", "what kind of products do you have?", "blak snekers for men",
        "call yellow cab", "i need a gift for my wife", "she likes watches", "are you a bot?",
    ],
}


def transcript(name: str, session: ChatSession) -> str:
    lines = [f"# Conversation: {name}", "", "Replayed through the real Rasa server and action server on the demo catalog.", ""]
    for turn in session.turns:
        lines.append(f"**Customer:** {turn.text}")
        lines.append("")
        rendered, _ = render(turn.messages)
        lines.extend(f"    {line}" for line in rendered or ["bot> (no answer: the conversation is paused for staff)"])
        lines.append(f"    ({turn.seconds * 1000:.0f} ms)")
        lines.append("")
    return "\n".join(lines)


async def replay(url: str, out_dir: Path) -> None:
    async with httpx.AsyncClient(timeout=60.0) as client:
        for name, script in DEMOS.items():
            # A new customer every run: the same id would carry the reactions of earlier replays into the
            # ranking (reactions re-rank later sessions), and the transcripts would drift run after run.
            session = ChatSession(client, url, sender=f"demo-{name}-{uuid.uuid4().hex[:8]}")
            for text in script:
                await session.say(text)
            (out_dir / f"{name}.md").write_text(transcript(name, session) + "\n")
            print(f"wrote {out_dir / f'{name}.md'} ({len(script)} turns)")


def main() -> int:
    base = get_settings()
    settings = Settings(**{**base.model_dump(), "rasa_port": free_port(), "action_port": free_port()})
    out_dir = REPO_ROOT / "docs" / "conversations"
    out_dir.mkdir(parents=True, exist_ok=True)
    with Stack(settings=settings, model=latest_model()):
        asyncio.run(replay(settings.resolved_rasa_url, out_dir))
    print(f"replayed {len(DEMOS)} demo conversations into {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
