"""Stage timings inside the action server for ``benchmarks/turn_cost.py`` (see ``shop/turn_profile.py``).

Installed by ``actions.server`` only when ``SHOP_TURN_PROFILE`` is set. Each POST to ``/webhook``
becomes one "action call" record: rasa-sdk turning the JSON into a ``Tracker``, the search state,
search, personal ranking, feedback reads and writes, every SQL statement, and rendering the cards.
"other" is Sanic, the JSON body and answer, and the actions' own logic.
"""

from __future__ import annotations

from typing import Any

from shop import turn_profile

ACTION_WEBHOOK = "/webhook"


def install(app: Any) -> None:
    """Wrap the functions an action call goes through; time every ``/webhook`` request of ``app``."""
    from rasa_sdk.executor import ActionExecutor
    from rasa_sdk.interfaces import Tracker
    from sqlalchemy.engine import Engine

    import actions.rendering as rendering
    from actions.state import SearchState
    from retrieval.feedback import FeedbackStore
    from retrieval.personalise import PersonalisedSearch
    from retrieval.search import Retriever

    turn_profile.wrap(ActionExecutor, "run", "rasa-sdk executor")
    turn_profile.wrap(Tracker, "from_dict", "tracker from JSON")
    turn_profile.wrap(SearchState, "from_tracker", "search state")
    turn_profile.wrap(SearchState, "to_event", "search state")
    turn_profile.wrap(Retriever, "search", "search: retriever")
    turn_profile.wrap(Retriever, "get_many", "search: product lookup")
    turn_profile.wrap(PersonalisedSearch, "search", "search: personal ranking")
    turn_profile.wrap(PersonalisedSearch, "similar", "search: personal ranking")
    turn_profile.wrap(PersonalisedSearch, "profile", "feedback: read")
    turn_profile.wrap(FeedbackStore, "history", "feedback: read")
    turn_profile.wrap(FeedbackStore, "record", "feedback: write")
    turn_profile.wrap(rendering, "send_products", "rendering")
    turn_profile.time_sql(Engine, "SQL")

    def action_name(request: Any) -> dict[str, Any]:
        return {"action": (request.json or {}).get("next_action") if request.body else None}

    on_request, on_response = turn_profile.request_middleware("action call", ACTION_WEBHOOK, action_name)
    app.register_middleware(on_request, "request")
    app.register_middleware(on_response, "response")
