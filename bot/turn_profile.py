"""Stage timings inside the Rasa server for ``benchmarks/turn_cost.py`` (see ``shop/turn_profile.py``).

Installed by ``bot.serve`` only when ``SHOP_TURN_PROFILE`` is set. Each POST to the REST channel
becomes one "rasa turn" record: the lock, tracker load and save, the channel's idempotency check
and read-back, NLU, every policy, the call to the action server (payload, HTTP round trip) and
Rasa's own responses. What is left ("other") is Rasa's processor itself: events applied to the
tracker, slot extraction, the channel and Sanic.
"""

from __future__ import annotations

from typing import Any

from shop import turn_profile

REST_WEBHOOK = "/webhooks/rest/webhook"


def _wrap_defined(cls: type, attribute: str, stage: str) -> None:
    """Wrap ``cls.attribute`` only where the class defines it itself (subclasses calling super() stay exact)."""
    if attribute in vars(cls):
        turn_profile.wrap(cls, attribute, stage)


def install() -> None:
    """Wrap the functions a turn goes through and time every REST-channel request."""
    import rasa.core.run
    from rasa.core.actions.action import ActionBotResponse, RemoteAction
    from rasa.core.lock_store import LockStore
    from rasa.core.policies.memoization import MemoizationPolicy
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.core.policies.ted_policy import TEDPolicy
    from rasa.core.processor import MessageProcessor
    from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore
    from rasa.utils.endpoints import EndpointConfig
    from sqlalchemy.engine import Engine

    import bot.channels.rest as rest
    from bot.components.joint_bert_nlu import JointBertNLU
    from bot.sqlite_lock_store import SQLiteLockStore

    for lock_store in (LockStore, SQLiteLockStore):
        for method in ("issue_ticket", "_acquire_lock", "cleanup"):
            _wrap_defined(lock_store, method, "lock")
    for store in (SQLTrackerStore, InMemoryTrackerStore):
        _wrap_defined(store, "retrieve", "tracker store: load")
        _wrap_defined(store, "retrieve_full_tracker", "tracker store: load")
        _wrap_defined(store, "save", "tracker store: save")
    turn_profile.time_sql(Engine, "tracker store: SQL")
    turn_profile.wrap(rest, "earlier_turn", "channel: idempotency check")
    turn_profile.wrap(rest, "read_back", "channel: late-message read-back")
    turn_profile.wrap(MessageProcessor, "parse_message", "NLU: Rasa graph")
    turn_profile.wrap(JointBertNLU, "process", "NLU: joint BERT + spelling")
    turn_profile.wrap(MessageProcessor, "run_action_extract_slots", "slot extraction")
    turn_profile.wrap(MessageProcessor, "_predict_next_with_tracker", "policies: graph + ensemble")
    for policy in (MemoizationPolicy, RulePolicy, TEDPolicy):
        _wrap_defined(policy, "predict_action_probabilities", f"policy: {policy.__name__}")
    turn_profile.wrap(RemoteAction, "run", "action call: Rasa side")
    turn_profile.wrap(RemoteAction, "_action_call_format", "action call: payload")
    turn_profile.wrap(EndpointConfig, "request", "action call: HTTP round trip")
    turn_profile.wrap(ActionBotResponse, "run", "responses")

    configure = rasa.core.run.configure_app

    def configure_app(*args: Any, **kwargs: Any) -> Any:
        app = configure(*args, **kwargs)
        on_request, on_response = turn_profile.request_middleware("rasa turn", REST_WEBHOOK)
        app.register_middleware(on_request, "request")
        app.register_middleware(on_response, "response")
        return app

    rasa.core.run.configure_app = configure_app
