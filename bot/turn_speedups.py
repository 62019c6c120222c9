"""Three costs of a Rasa 3.6 turn that buy nothing, removed without changing what the assistant does.

Measured with ``benchmarks/turn_cost.py`` (stage table and flame graph in ``benchmarks/results/``):

1. **Checking a JSON schema against the JSON-Schema meta-schema on every action call.** Rasa
   validates each action server answer with ``jsonschema.validate(answer, schema)``, and that
   function first validates the *schema itself* before it looks at the answer: about half of the
   Rasa-side cost of every call to the action server. Here the schema (Rasa's own, a constant) is
   checked once and compiled into a validator; every answer is still validated against it, with
   the same error.
2. **Running TED when a rule has already decided.** Every policy predicts on every step and the
   ensemble keeps the most confident one, ties to the higher priority. When the RulePolicy (or
   Memoization) predicts an action with confidence 1.0 and a higher priority than TED, TED cannot
   win: its confidence is at most 1.0 and it never makes "no user" predictions. It could only win
   with an end-to-end (text) prediction, and a TED trained without text features never makes one
   (``fake_features``). In that case TED's TensorFlow call is skipped, and the ensemble combines
   the same predictions it would have kept. TED adds no events unless it predicts end to end.
   The result is the same prediction, the same policy name and the same events. Otherwise the
   full graph runs as before. ``tests/rasa_env/test_turn_speedups.py`` compares both ways on
   every step of the test stories.
3. **A new HTTP connection for every action call.** ``EndpointConfig.request`` opens an
   ``aiohttp.ClientSession`` per request. Calls to the action server here reuse one session (and
   its keep-alive connections) per event loop.

Installed by ``bot.serve`` for every Rasa command it runs (server, ``rasa test``, shell).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any, Optional

logger = logging.getLogger(__name__)

_installed = False


def install() -> None:
    """Apply the three changes once per process."""
    global _installed
    if _installed:
        return
    _installed = True
    _validate_with_compiled_schema()
    _skip_ted_when_rules_decide()
    _reuse_action_server_connections()


def _validate_with_compiled_schema() -> None:
    from jsonschema import ValidationError, validators
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    @functools.lru_cache(maxsize=1)
    def compiled() -> Any:
        schema = RemoteAction.action_response_format_spec()
        validator_class = validators.validator_for(schema)
        validator_class.check_schema(schema)  # what jsonschema.validate did on every call, once
        return validator_class(schema)

    def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        try:
            compiled().validate(result)
        except ValidationError as error:
            error.message += (". Failed to validate Action server response from API, make sure your response from the "
                              f"Action endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions")
            raise
        return True

    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]


class _RuleShortcut:
    """For one loaded model: which graph nodes are TED and which are the cheaper policies before the ensemble."""

    def __init__(self, runner: Any, target: str) -> None:
        from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
        from rasa.core.policies.policy import Policy
        from rasa.core.policies.ted_policy import TEDPolicy
        from rasa.shared.nlu.constants import TEXT

        self.enabled = False
        self.cheap: list[str] = []
        self.ted_priority = 0
        schema = getattr(runner, "_graph_schema", None)
        nodes = getattr(runner, "_instantiated_nodes", None)
        if schema is None or nodes is None or target not in schema.nodes:
            return
        ensemble_node = schema.nodes[target]
        if not issubclass(ensemble_node.uses, DefaultPolicyPredictionEnsemble):
            return
        self.ensemble = nodes[target]._component
        policies = [name for name in ensemble_node.needs.values()
                    if name in schema.nodes and issubclass(schema.nodes[name].uses, Policy)]
        teds = [name for name in policies if issubclass(schema.nodes[name].uses, TEDPolicy)]
        self.cheap = [name for name in policies if name not in teds]
        components = [nodes[name]._component for name in teds]
        if not teds or not self.cheap or any(c is None or TEXT in c.fake_features for c in components):
            return  # nothing to skip, or a TED that may predict from text (end to end) and outrank rules
        self.ted_priority = max(int(c.priority) for c in components)
        self.enabled = True

    def decided(self, runner: Any, tracker: Any, domain: Any) -> Optional[Any]:
        """The ensemble's prediction when the cheaper policies settle it (else None: run everything)."""
        from rasa.engine.constants import PLACEHOLDER_TRACKER

        results = runner.run(inputs={PLACEHOLDER_TRACKER: tracker}, targets=self.cheap)
        predictions = [results[name] for name in self.cheap]
        winner = self.ensemble.combine_predictions(predictions=predictions, tracker=tracker, domain=domain)
        if winner.is_no_user_prediction or (winner.max_confidence >= 1.0 and winner.policy_priority > self.ted_priority):
            return winner
        return None


def _skip_ted_when_rules_decide() -> None:
    from rasa.core.processor import MessageProcessor

    original = MessageProcessor._predict_next_with_tracker
    shortcuts: dict[int, _RuleShortcut] = {}

    @functools.wraps(original)
    def predict_next_with_tracker(self: MessageProcessor, tracker: Any) -> Any:
        target = self.model_metadata.core_target
        if tracker.followup_action or not target:
            return original(self, tracker)
        shortcut = shortcuts.get(id(self.graph_runner))
        if shortcut is None:
            shortcut = shortcuts[id(self.graph_runner)] = _RuleShortcut(self.graph_runner, target)
            logger.info("TED is %s when a rule decides", "skipped" if shortcut.enabled else "always run")
        if shortcut.enabled:
            decided = shortcut.decided(self.graph_runner, tracker, self.domain)
            if decided is not None:
                return decided
        return original(self, tracker)

    MessageProcessor._predict_next_with_tracker = predict_next_with_tracker  # type: ignore[method-assign]


def _reuse_action_server_connections() -> None:
    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

    original_session = EndpointConfig.session

    class _Borrowed:
        """A shared session used like a fresh one (``async with``), which leaves it open."""

        def __init__(self, session: aiohttp.ClientSession) -> None:
            self.session = session

        async def __aenter__(self) -> aiohttp.ClientSession:
            return self.session

        async def __aexit__(self, *_exc: object) -> None:
            return None

    def session(self: EndpointConfig) -> Any:
        """The endpoint's session of the running event loop; idle connections kept for a second only.

        A second is far below any server's keep-alive timeout (Sanic's, nginx's), so a pooled
        connection is never one the other side is closing; the calls of one turn, and of turns
        under load, still share connections.
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return original_session(self)
        held = self.__dict__.get("_shared_session")
        if held is None or held[0] is not loop or held[1].closed:
            auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) if self.basic_auth else None
            shared = aiohttp.ClientSession(headers=self.headers, auth=auth, timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                                           connector=aiohttp.TCPConnector(keepalive_timeout=1.0))
            held = self.__dict__["_shared_session"] = (loop, shared)
        return _Borrowed(held[1])

    EndpointConfig.session = session  # type: ignore[method-assign]
