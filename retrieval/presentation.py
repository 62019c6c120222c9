"""How products and the catalog are put into words for customers, whatever the channel.

Why here, below both the action server and the web app: the greeting's suggestions, the store page's
examples and every price shown must come from the catalog that is loaded (an IKEA shop greets with
"white bookcase under 500 SAR", not with running shoes) and must read the same in the chat and on
the page. Works on anything with the product fields (``retrieval.types.Product`` or a store row).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from retrieval.attributes import attribute

_TYPE, _COLOUR, _GENDER, _CATEGORY = (attribute(n) for n in ("product_type", "colour", "gender", "category"))
GENDER_WORDS = {"men": "men", "women": "women", "boys": "boys", "girls": "girls", "unisex": "everyone"}


def money(amount: float, currency: str | None, *, cents: bool = True) -> str:
    """"$49.99" or "SAR 1,295.00"; without ``cents`` a budget as said: "$80", "SAR 500"."""
    symbol = "$" if (currency or "USD") == "USD" else f"{currency} "
    return f"{symbol}{amount:,.2f}" if cents else f"{symbol}{amount:,g}"


def format_price(product: Any) -> str:
    """A product's price in its currency, or "price on request" when the catalog has none."""
    price = product.price
    if price is None or (isinstance(price, float) and math.isnan(price)):
        return "price on request"
    return money(price, product.currency)


@dataclass(frozen=True)
class ExampleRequest:
    """A request a customer could type here, and the search entities a button for it sends."""

    text: str
    entities: dict[str, str] = field(default_factory=dict, hash=False)


def kind_of(product: Any) -> str | None:
    """What a product is, in the catalog's words: its first product type, else the last level of its category."""
    kinds = _TYPE.values_of(product)
    if kinds:
        return kinds[0]
    paths = _CATEGORY.values_of(product)
    return _CATEGORY.level_name(max(paths, key=len)) if paths else None


def shelf_name(name: str, raw: str) -> str:
    """A stored value of attribute ``name`` as a heading: several values joined ("Chairs, Stools"), a category path
    at its own level ("Shorts" of "Clothing > Women's Clothing > Shorts")."""
    spec = attribute(name)
    parts = [part.strip() for part in raw.split(spec.separator)] if spec.separator else [raw]
    return ", ".join(spec.level_name(part) for part in parts if part)


def round_price(price: float) -> int:
    """A budget a person would say: 80 rather than 77.35, 1,500 rather than 1,463."""
    if price <= 0:
        return 0
    step = 10 ** max(int(math.log10(price)) - 1, 0) * (5 if price >= 20 else 1)
    return int(math.ceil(price / step) * step)


def example_requests(products: Iterable[Any], *, limit: int = 3) -> list[ExampleRequest]:
    """Requests built from the catalog's most common kinds of product, each with a colour, a person or a budget
    the catalog really has for that kind, so every example finds products when tried."""
    by_kind: dict[str, list[Any]] = {}
    for product in products:
        kind = kind_of(product)
        if kind:
            by_kind.setdefault(kind, []).append(product)
    ranked = sorted(by_kind, key=lambda k: (-len(by_kind[k]), k))
    examples = []
    for number, kind in enumerate(ranked[:limit]):
        examples.append(_example(kind, by_kind[kind], style=number % 3))
    return examples


def _example(kind: str, items: Sequence[Any], *, style: int) -> ExampleRequest:
    words = kind.lower()
    entities = {_TYPE.entity or _TYPE.name: kind}
    colour = _most_common(v for p in items for v in _COLOUR.values_of(p))
    gender = _most_common(v for p in items for v in _GENDER.values_of(p))
    prices = sorted(float(p.price) for p in items if p.price is not None and not math.isnan(float(p.price)))
    if style == 0 and colour:
        words = f"{colour.lower()} {words}"
        entities[_COLOUR.entity or _COLOUR.name] = colour
    if style == 1 and gender and gender.lower() in GENDER_WORDS:
        words = f"{words} for {GENDER_WORDS[gender.lower()]}"
        entities[_GENDER.entity or _GENDER.name] = gender
    if style != 1 and prices:
        budget = round_price(prices[len(prices) * 3 // 4])
        currency = next((p.currency for p in items if p.currency), None)
        words = f"{words} under {budget}" + (f" {currency}" if currency and currency != "USD" else "")
        entities["price_max"] = str(budget)
    return ExampleRequest(text=words, entities=entities)


def _most_common(values: Iterable[str]) -> str | None:
    counts = Counter(v for v in values if v and v.lower() not in ("multi", "na", "n/a", "none"))
    return counts.most_common(1)[0][0] if counts else None
