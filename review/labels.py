"""The intents, entities and roles a reviewer may choose: the assistant's domain, read from its files.

Why read ``bot/domain`` and not a list of our own: a correction must name labels the model can be
trained on; a label the domain does not declare would fail ``rasa train``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from shop.settings import REPO_ROOT

DOMAIN_DIR = REPO_ROOT / "bot" / "domain"
# Not something a customer can mean: the fallback classifier's verdict.
NOT_CHOOSABLE = frozenset({"nlu_fallback"})
# Rasa's built-in actions a story may expect (the domain declares only its own).
RASA_ACTIONS = frozenset({"action_two_stage_fallback", "action_default_fallback", "action_default_ask_affirmation",
                          "action_default_ask_rephrase", "action_restart", "action_back"})
# Set by buttons only (a product card's id), never typed.
BUTTON_ONLY_ENTITIES = frozenset({"product_id"})


@dataclass(frozen=True)
class Labels:
    intents: tuple[str, ...]
    # entity -> the roles it may carry (empty: none)
    entities: dict[str, tuple[str, ...]]
    # What a test story may expect the bot to do: the domain's actions and responses, and Rasa's own
    # actions that the domain's rules name.
    actions: tuple[str, ...] = ()


@lru_cache(maxsize=4)
def load_labels(domain_dir: Path = DOMAIN_DIR) -> Labels:
    """Intents and entities (with roles) declared by every domain file, sorted."""
    intents: set[str] = set()
    actions: set[str] = set(RASA_ACTIONS)
    entities: dict[str, tuple[str, ...]] = {}
    for file in sorted(domain_dir.glob("*.yml")):
        content = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        for intent in content.get("intents") or []:
            intents.add(next(iter(intent)) if isinstance(intent, dict) else str(intent))
        actions.update(str(a) for a in content.get("actions") or [])
        actions.update(str(r) for r in content.get("responses") or {})
        for entity in content.get("entities") or []:
            if isinstance(entity, dict):
                name, spec = next(iter(entity.items()))
                entities[str(name)] = tuple(str(r) for r in (spec or {}).get("roles") or [])
            else:
                entities[str(entity)] = ()
    return Labels(
        intents=tuple(sorted(intents - NOT_CHOOSABLE)),
        entities={k: v for k, v in sorted(entities.items()) if k not in BUTTON_ONLY_ENTITIES},
        actions=tuple(sorted(actions)),
    )
