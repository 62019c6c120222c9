"""The action guard tells outages (retry later) from bugs (our fault), in what it says and what it logs."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import OperationalError

from actions.guard import customer_safe
from actions.services import ServiceUnavailableError
from retrieval.errors import StoreUnavailableError
from shop.messages import BUG_MESSAGE, TROUBLE_MESSAGE


class Failing:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def name(self) -> str:
        return "action_failing"

    @customer_safe
    async def run(self, dispatcher: CollectingDispatcher, tracker: Any, domain: Any) -> list[Any]:
        raise self.error


def answer_of(error: Exception) -> str:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(Failing(error).run(dispatcher, None, {}))
    assert events == []
    return " ".join(m.get("text") or "" for m in dispatcher.messages)


@pytest.mark.parametrize("error", [
    ServiceUnavailableError("db down"), StoreUnavailableError("db down"), ConnectionRefusedError(111, "refused"),
    OperationalError("SELECT 1", {}, Exception("server closed the connection")), TimeoutError("slow"),
])
def test_outages_ask_the_customer_to_retry(error: Exception, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="actions.guard"):
        assert answer_of(error) == TROUBLE_MESSAGE
    assert not any("BUG" in r.message for r in caplog.records)


@pytest.mark.parametrize("error", [KeyError("focused_product"), AttributeError("'NoneType' has no attribute 'get'"), ZeroDivisionError()])
def test_bugs_are_logged_as_bugs_and_answered_as_our_fault(error: Exception, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="actions.guard"):
        assert answer_of(error) == BUG_MESSAGE
    bug = [r for r in caplog.records if "BUG in action action_failing" in r.getMessage()]
    assert bug and bug[0].exc_info is not None
    assert TROUBLE_MESSAGE != BUG_MESSAGE
