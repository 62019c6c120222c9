"""The turn speedups (``bot/turn_speedups.py``) change the cost of a turn, never its outcome.

The TED shortcut is checked on the shipped model against the unpatched prediction at every action
of every test story: the same action probabilities, policy, priority and events. The response
validator must still refuse what Rasa refuses.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.core.processor import MessageProcessor
from rasa.core.test import _create_data_generator
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker

from bot import turn_speedups

REPO = Path(__file__).resolve().parents[2]
STORIES = REPO / "tests" / "conversations"


def _shipped_model() -> Path:
    given = os.environ.get("SHOP_TEST_MODEL")
    if given:
        return Path(given)
    models = sorted((REPO / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        pytest.fail("no trained model: run `make train` (scripts/test.sh trains one before this stage)")
    return models[-1]


def _as_comparable(prediction: Any) -> tuple[Any, ...]:
    return (prediction.policy_name, prediction.policy_priority, [round(p, 6) for p in prediction.probabilities],
            [{k: v for k, v in event.as_dict().items() if k != "timestamp"} for event in prediction.events],
            prediction.is_end_to_end_prediction,
            prediction.is_no_user_prediction, prediction.hide_rule_turn)


@pytest.mark.slow
def test_skipping_ted_predicts_what_the_full_ensemble_predicts() -> None:
    turn_speedups.install()
    agent = Agent.load(str(_shipped_model()))
    processor = agent.processor
    assert processor is not None
    full = MessageProcessor._predict_next_with_tracker.__wrapped__  # type: ignore[attr-defined]
    trackers = _create_data_generator(str(STORIES), agent, use_conversation_test_files=True).generate_story_trackers()
    assert len(trackers) >= 50, "the conversation tests should yield their stories"
    compared = decided_by_rules = 0
    for story in trackers:
        partial = DialogueStateTracker.from_events(story.sender_id, list(story.events)[:1], agent.domain.slots)
        for event in list(story.events)[1:]:
            if isinstance(event, ActionExecuted) and not partial.followup_action:
                shortcut = processor._predict_next_with_tracker(partial)
                expected = full(processor, partial)
                assert _as_comparable(shortcut) == _as_comparable(expected), f"{story.sender_id}: before {event.action_name}"
                compared += 1
                decided_by_rules += shortcut.policy_name != "TEDPolicy" and "RulePolicy" in shortcut.policy_name
            partial.update(event)
    assert compared >= 300
    assert decided_by_rules / compared > 0.5  # the shortcut is in use, not silently disabled


def test_action_answers_are_still_validated() -> None:
    turn_speedups.install()
    action = RemoteAction("action_search_products", None)
    assert action._validate_action_result({"events": [{"event": "slot", "name": "x", "value": 1}], "responses": []})
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": [{"event": "no_such_event"}], "responses": "not a list"})


def test_action_server_connections_are_shared_within_an_event_loop() -> None:
    from rasa.utils.endpoints import EndpointConfig

    turn_speedups.install()
    endpoint = EndpointConfig("http://127.0.0.1:9/webhook")

    async def sessions() -> tuple[Any, Any]:
        async with endpoint.session() as first, endpoint.session() as second:
            return first, second

    first, second = asyncio.run(sessions())
    assert first is second
    again, _ = asyncio.run(sessions())  # a new event loop gets its own session
    assert again is not first
