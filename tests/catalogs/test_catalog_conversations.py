"""Conversations with the assistant over each shared catalog (Myntra, IKEA, Flipkart), story by story.

Each story (``tests/catalogs/stories/<catalog>.yml``) is played from a fresh conversation through
the real Rasa and action servers over that catalog, and every answer is checked against what the
story expects (see ``tests/catalogs/stories.py``). A catalog whose shared files are absent is skipped.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from retrieval.shared_catalogs import SHARED_CATALOGS
from tests.catalogs.conftest import Shops
from tests.catalogs.stories import STORIES_DIR, Answer, Story, all_stories, check, load_stories

STORIES = all_stories(SHARED_CATALOGS)


def _param(story: Story) -> Any:
    missing = not SHARED_CATALOGS[story.catalog].available()
    return pytest.param(story, id=f"{story.catalog}-{story.slug}",
                        marks=[pytest.mark.slow, *([pytest.mark.skip(reason=f"shared {story.catalog} files absent")] if missing else [])])


def test_every_shared_catalog_has_a_story_file_of_ten_stories_or_more() -> None:
    for name in SHARED_CATALOGS:
        stories = load_stories(STORIES_DIR / f"{name}.yml")
        assert len(stories) >= 10, f"{name}: {len(stories)} stories"
        assert all(s.catalog == name for s in stories)


@pytest.mark.parametrize("story", [_param(s) for s in STORIES])
def test_story(story: Story, shops: Shops, sender: str) -> None:
    shop = shops.open(story.catalog)
    started = time.perf_counter()
    before: list[dict[str, Any]] = []
    transcript: list[str] = []
    try:
        for number, turn in enumerate(story.turns, start=1):
            answer = Answer(messages=shop.say(sender, turn.say))
            answer.products = shop.products(answer.card_ids)
            transcript.append(f"  customer> {turn.say}\n" + "\n".join(f"  bot> {line}" for line in answer.text.splitlines()))
            problems = check(turn, answer, before)
            if problems:
                pytest.fail(f"turn {number} ({shop.reading(sender)}):\n  - " + "\n  - ".join(problems)
                            + "\nconversation so far:\n" + "\n".join(transcript), pytrace=False)
            if answer.products:
                before = answer.products
    finally:
        shop.timings["stories_seconds"] = round(shop.timings.get("stories_seconds", 0.0) + time.perf_counter() - started, 1)
