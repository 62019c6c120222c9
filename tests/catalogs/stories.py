"""Conversation stories about one catalog: loading them from YAML and checking the assistant's real answers.

A story file (``tests/catalogs/stories/<catalog>.yml``) holds customer turns, each with what its
answer must show. Expectations are checked against what a customer receives (the texts and the
product-card payloads of Rasa's REST channel); the attributes of the shown products are read from
the catalog store by their ids, so a check on the category or the description sees the product as
ingested, not only the few fields a card carries. Every key of ``expect`` (all optional):

``products``   true: product cards are shown; false: none are.
``text``       phrases the answer contains (case-insensitive); ``not_text``: phrases it does not.
``every``      ``{field: value or [values]}``: every shown product's field contains one of the values
               (case-insensitive); fields are the store's (title, product_type, category, colour, ...),
               and ``about``: its title, type, category and description together.
``none``       ``{field: value or [values]}``: no shown product's field contains any of them.
``price_max``  every shown product costs at most this.
``cheaper``    true: every shown product costs less than the dearest product of the list shown before.
``not_sold``   true: the answer says plainly the shop does not sell it (and shows no cards).
``names``      N: the answer names the product at position N of the list shown before (by its title).
``new``        true: none of the shown products was on the list shown before ("show more").
``like``       ``{position: N, field: F}``: every shown product has the same F as the product at
               position N of the list shown before.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

STORIES_DIR = Path(__file__).resolve().parent / "stories"
EXPECTATIONS = frozenset({"products", "text", "not_text", "every", "none", "price_max", "cheaper", "not_sold", "names", "like", "new"})
ABOUT = ("title", "product_type", "category", "description")
NOT_SOLD_PHRASE = "we don't sell"


@dataclass(frozen=True)
class Turn:
    """What the customer says and what the answer must show."""

    say: str
    expect: dict[str, Any]


@dataclass(frozen=True)
class Story:
    """A named conversation with one catalog, played from a fresh conversation."""

    catalog: str
    name: str
    turns: tuple[Turn, ...]

    @property
    def slug(self) -> str:
        """The story's test id: its name in lower case, words joined by dashes."""
        return "-".join("".join(c if c.isalnum() else " " for c in self.name.lower()).split())


@dataclass
class Answer:
    """One answer as a customer gets it: what they read, and the products on the cards (store rows)."""

    messages: list[dict[str, Any]]
    products: list[dict[str, Any]] = field(default_factory=list)

    @property
    def text(self) -> str:
        """Everything the customer reads: the texts, and the text forms of the custom payloads."""
        parts = []
        for message in self.messages:
            parts.append(str(message.get("text") or ""))
            custom = message.get("custom")
            if isinstance(custom, dict):
                parts.append(str(custom.get("text") or ""))
        return "\n".join(p for p in parts if p)

    def payloads(self, kind: str) -> list[dict[str, Any]]:
        """The custom payloads of one type ("product_cards", "not_carried", ...)."""
        return [m["custom"] for m in self.messages if isinstance(m.get("custom"), dict) and m["custom"].get("type") == kind]

    @property
    def card_ids(self) -> list[str]:
        """Ids of the products on the cards, in the order shown."""
        return [str(card["id"]) for payload in self.payloads("product_cards") for card in payload.get("products") or []]


class StoryError(ValueError):
    """A story file that cannot be played; the message names the file and the story."""


def load_stories(path: Path) -> list[Story]:
    """The stories of one file; an unknown expectation or a turn without words is an error, not a silent pass."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    catalog = str(data.get("catalog") or path.stem)
    stories = []
    for raw in data.get("stories") or []:
        name = str(raw.get("story") or "").strip()
        turns = []
        for step in raw.get("steps") or []:
            expect = dict(step.get("expect") or {})
            unknown = set(expect) - EXPECTATIONS
            if not str(step.get("say") or "").strip() or unknown:
                problem = f"unknown expectation(s) {sorted(unknown)}" if unknown else "a step without 'say'"
                raise StoryError(f"{path.name}, story {name!r}: {problem}")
            turns.append(Turn(say=str(step["say"]), expect=expect))
        if not name or not turns:
            raise StoryError(f"{path.name}: every story needs a name ('story') and at least one step")
        stories.append(Story(catalog=catalog, name=name, turns=tuple(turns)))
    if len({s.slug for s in stories}) != len(stories):
        raise StoryError(f"{path.name}: two stories have the same name")
    return stories


def _values(value: Any) -> list[str]:
    return [str(v).lower() for v in (value if isinstance(value, list) else [value])]


def _field(product: dict[str, Any], name: str) -> str:
    if name == "about":
        return " | ".join(str(product.get(part) or "") for part in ABOUT).lower()
    return str(product.get(name) or "").lower()


def _describe(product: dict[str, Any], *fields: str) -> str:
    return f"{product.get('title')!r} ({', '.join(f'{f}={product.get(f)!r}' for f in fields)})"


def check(turn: Turn, answer: Answer, before: list[dict[str, Any]]) -> list[str]:
    """What the answer gets wrong against the turn's expectations (empty: all met).

    ``before``: the products of the list shown before this turn (store rows, in order), which
    references ("the second one", "cheaper than that") are judged against.
    """
    expect, text, shown = turn.expect, answer.text.lower(), answer.products
    problems: list[str] = []
    if "products" in expect and bool(shown) != bool(expect["products"]):
        problems.append(f"expected {'products' if expect['products'] else 'no products'}, got {len(shown)}")
    for phrase in _values(expect.get("text", [])):
        if phrase not in text:
            problems.append(f"the answer does not say {phrase!r}")
    for phrase in _values(expect.get("not_text", [])):
        if phrase in text:
            problems.append(f"the answer says {phrase!r}")
    for name, wanted in (expect.get("every") or {}).items():
        problems += [f"{_describe(p, name)} has no {name} in {_values(wanted)}"
                     for p in shown if not any(v in _field(p, name) for v in _values(wanted))]
    for name, unwanted in (expect.get("none") or {}).items():
        problems += [f"{_describe(p, name)} has a {name} in {_values(unwanted)}"
                     for p in shown if any(v in _field(p, name) for v in _values(unwanted))]
    if "price_max" in expect:
        problems += [f"{_describe(p, 'price')} costs more than {expect['price_max']}"
                     for p in shown if p.get("price") is None or float(p["price"]) > float(expect["price_max"])]
    if expect.get("cheaper"):
        problems += _cheaper(shown, before)
    if expect.get("not_sold"):
        if NOT_SOLD_PHRASE not in text or not answer.payloads("not_carried"):
            problems.append("the answer does not say the shop does not sell it")
        if shown:
            problems.append(f"a not-sold answer shows {len(shown)} products")
    if expect.get("new"):
        seen = {p["product_id"] for p in before}
        problems += [f"{_describe(p)} was shown before" for p in shown if p["product_id"] in seen]
    if "names" in expect:
        problems += _names(int(expect["names"]), text, before)
    if "like" in expect:
        problems += _like(expect["like"], shown, before)
    return problems


def _referenced(position: int, before: list[dict[str, Any]]) -> dict[str, Any] | None:
    return before[position - 1] if 0 < position <= len(before) else None


def _cheaper(shown: list[dict[str, Any]], before: list[dict[str, Any]]) -> list[str]:
    prices = [float(p["price"]) for p in before if p.get("price") is not None]
    if not prices:
        return ["no priced list was shown before, so 'cheaper' cannot be judged"]
    dearest = max(prices)
    return [f"{_describe(p, 'price')} is not cheaper than the dearest before ({dearest})"
            for p in shown if p.get("price") is None or float(p["price"]) >= dearest]


def _names(position: int, text: str, before: list[dict[str, Any]]) -> list[str]:
    product = _referenced(position, before)
    if product is None:
        return [f"no product at position {position} was shown before"]
    return [] if str(product.get("title") or "").lower() in text else [f"the answer does not name product {position}, {product.get('title')!r}"]


def _like(spec: dict[str, Any], shown: list[dict[str, Any]], before: list[dict[str, Any]]) -> list[str]:
    position, name = int(spec["position"]), str(spec["field"])
    anchor = _referenced(position, before)
    if anchor is None:
        return [f"no product at position {position} was shown before"]
    if not shown:
        return [f"no products like {_describe(anchor, name)} were shown"]
    wanted = _listed(_field(anchor, name))  # a product listed under several types or categories shares any of them
    return [f"{_describe(p, name)} is not like {_describe(anchor, name)}" for p in shown if not _listed(_field(p, name)) & wanted]


def _listed(value: str) -> set[str]:
    return {part.strip() for part in value.split("|") if part.strip()}


def all_stories(names: Iterable[str]) -> list[Story]:
    """The stories of every named catalog that has a story file, catalog by catalog."""
    return [story for name in names if (STORIES_DIR / f"{name}.yml").is_file() for story in load_stories(STORIES_DIR / f"{name}.yml")]
