"""The REST channel is internal (token) and runs a keyed turn once: a repeat gets the first answer."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import Any

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationPaused, Event, UserUttered
from sanic.exceptions import Unauthorized

from bot.channels.rest import GuardedRestInput, as_rest_messages, turn_answer
from bot.serve import rasa_argv
from shop.messages import OUT_OF_TURN


def events(*items: Event) -> list[dict[str, Any]]:
    return [item.as_dict() for item in items]


LOG = events(
    UserUttered("hi", message_id="m1"),
    ActionExecuted("utter_greet"),
    BotUttered("Hi!", {"buttons": [{"title": "Shoes", "payload": "/search"}]}),
    BotUttered("Cards", {"custom": {"type": "product_cards", "products": []}}),
    ActionExecuted("action_listen"),
    BotUttered("Alice here", metadata={"staff": "alice", OUT_OF_TURN: True}),
    UserUttered("/request_human", message_id="m2"),
    ActionExecuted("action_handoff_to_human"),
    BotUttered("Passing you over"),
    ConversationPaused(),
    BotUttered("late staff reply", metadata={"staff": "alice", OUT_OF_TURN: True}),
)


def test_the_answer_of_a_turn_is_its_own_bot_messages() -> None:
    assert [e["text"] for e in turn_answer(LOG, "m1") or []] == ["Hi!", "Cards"]
    assert [e["text"] for e in turn_answer(LOG, "m2") or []] == ["Passing you over"]  # stops at the pause
    assert turn_answer(LOG, "m3") is None


def test_a_replayed_answer_has_the_shape_the_channel_sent() -> None:
    replayed = asyncio.run(as_rest_messages(turn_answer(LOG, "m1") or [], "ann"))
    assert replayed[0] == {"recipient_id": "ann", "text": "Hi!", "buttons": [{"title": "Shoes", "payload": "/search"}]}
    assert replayed[1]["text"] == "Cards" and replayed[2]["custom"]["type"] == "product_cards"


class SlowProcessor:
    """Stands in for Rasa's MessageProcessor: one slow turn, saved at its end (as Rasa does)."""

    def __init__(self, store: InMemoryTrackerStore) -> None:
        self.store = store
        self.runs = 0

    async def handle_message(self, message: UserMessage) -> None:
        self.runs += 1
        tracker = await self.store.get_or_create_tracker(message.sender_id)
        await asyncio.sleep(0.2)
        for event in (UserUttered(message.text, message_id=message.message_id), ActionExecuted("utter_greet"),
                      BotUttered(f"answer {self.runs}"), ActionExecuted("action_listen")):
            tracker.update(event)
        await self.store.save(tracker)


def test_concurrent_repeats_wait_for_the_first_run_and_get_its_events() -> None:
    store = InMemoryTrackerStore(Domain.empty())
    processor = SlowProcessor(store)
    request = SimpleNamespace(app=SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(
        lock_store=InMemoryLockStore(), tracker_store=store, processor=processor))))

    async def scenario() -> list[Any]:
        sends = [GuardedRestInput._handle_once(request, UserMessage("hi", CollectingOutputChannel(), "ann", message_id="k1"))  # type: ignore[arg-type]
                 for _ in range(3)]
        results = list(await asyncio.gather(*sends))
        results.append(await GuardedRestInput._handle_once(request, UserMessage("hi", CollectingOutputChannel(), "ann", message_id="k2")))  # type: ignore[arg-type]
        return results

    results = asyncio.run(scenario())
    assert processor.runs == 2  # k1 once, k2 once
    assert results.count(None) == 2 and results[3] is None  # k1's first run and k2 ran; the two repeats did not
    repeats = [r for r in results[:3] if r is not None]
    assert len(repeats) == 2 and all([e["text"] for e in turn_answer(r, "k1") or []] == ["answer 1"] for r in repeats)
    tracker = asyncio.run(store.retrieve("ann"))
    assert [e.message_id for e in tracker.events if isinstance(e, UserUttered)] == ["k1", "k2"]


def test_only_holders_of_the_token_may_send_turns() -> None:
    channel = GuardedRestInput.from_credentials({"token": "s3cret"})
    with pytest.raises(Unauthorized):
        channel._authorise(SimpleNamespace(headers={}))  # type: ignore[arg-type]
    with pytest.raises(Unauthorized):
        channel._authorise(SimpleNamespace(headers={"Authorization": "Bearer wrong"}))  # type: ignore[arg-type]
    channel._authorise(SimpleNamespace(headers={"Authorization": "Bearer s3cret"}))  # type: ignore[arg-type]


@pytest.mark.parametrize("token", ["-starts-with-a-dash", "--looks-like-an-option", "plain_Token-123"])
def test_the_wrapper_hands_rasa_the_token_from_the_environment(token: str) -> None:
    from rasa.__main__ import create_argument_parser

    argv = rasa_argv(["run", "--enable-api", "--port", "5005"], {"SHOP_RASA_TOKEN": token})
    assert create_argument_parser().parse_args(argv[1:]).auth_token == token
    with pytest.raises(SystemExit, match="not set"):
        rasa_argv(["run"], {})
    with pytest.raises(SystemExit, match="environment"):
        rasa_argv(["run", f"--auth-token={token}"], {"SHOP_RASA_TOKEN": token})
    # commands without an HTTP API (the story tests) need no token and get none
    assert rasa_argv(["test", "core", "--stories", "tests"], {"SHOP_RASA_TOKEN": token}) == ["rasa", "test", "core", "--stories", "tests"]


def test_the_credentials_files_take_the_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    from rasa.shared.utils.io import read_config_file

    monkeypatch.setenv("SHOP_RASA_TOKEN", "from-env")
    for name in ("credentials.yml", "credentials.prod.yml"):
        credentials = read_config_file(str(Path(__file__).resolve().parents[2] / "bot" / name))
        assert json.dumps(credentials["bot.channels.rest.GuardedRestInput"]) == '{"token": "from-env"}'
