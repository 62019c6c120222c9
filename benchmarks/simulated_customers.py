"""Simulated customers who only react with the card buttons, and the products they are after.

Each customer secretly wants one product (the target). They open with its product type and then
judge every card shown with thumbs up or down by one of three rules (the customer models):

- ``attribute``: thumbs up when the product shares at least two of colour, brand, occasion,
  gender and season with the target, thumbs down otherwise.
- ``similarity``: thumbs up when the product is closer to the target in embedding space (cosine of
  the stored MiniLM vectors) than the median product of the target's type is; thumbs down
  otherwise. The median is taken over every other product of that type in the catalog, so each
  target has its own fixed bar, whatever the page holds.
- ``noisy``: the attribute rule, but each card is left unrated with probability 0.3 and a rated
  card's reaction is flipped with probability 0.2.

The rules are the simulation, never the ranker: the ranker sees only the reactions.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from retrieval import Product, Retriever
from retrieval.feedback import Reaction

COMPARED = ("colour", "brand", "usage", "gender", "season")
MIN_SHARED = 2
MIN_TYPE_SIZE = 40
SKIP_RATE, FLIP_RATE = 0.3, 0.2
MODELS = ("attribute", "similarity", "noisy")


def shared(product: Product | None, target: Product) -> int:
    """How many of the compared attributes a shown product has in common with the target."""
    if product is None:
        return 0
    return sum(1 for attr in COMPARED if getattr(product, attr) and getattr(product, attr) == getattr(target, attr))


def choose_targets(retriever: Retriever, count: int, seed: int, *, avoid: Sequence[str] = ()) -> list[Product]:
    """``count`` targets: a product type drawn uniformly among those with enough variety, then a product of it.

    Products in ``avoid`` (another seed's targets) are never drawn, so tuning and evaluation
    targets are disjoint. Only products with a type, colour, brand and gender qualify.
    """
    rng = random.Random(seed)
    banned = set(avoid)
    by_type: dict[str, list[Product]] = {}
    for product in retriever.snapshot.products:
        if product.product_type and product.colour and product.brand and product.gender:
            by_type.setdefault(str(product.product_type), []).append(product)
    types = sorted(t for t, members in by_type.items() if len(members) >= MIN_TYPE_SIZE)
    pools = {t: [p for p in by_type[t] if p.id not in banned] for t in types}
    targets: list[Product] = []
    while len(targets) < count:
        pool = pools[rng.choice(types)]
        if pool:
            targets.append(rng.choice(pool))
    return targets


@dataclass
class AttributeRule:
    """Model (a): up when at least two compared attributes match the target."""

    name: str = "attribute"

    def react(self, shown: Sequence[Product], target: Product, rng: random.Random) -> list[tuple[Product, Reaction]]:
        return [(p, Reaction.LIKE if shared(p, target) >= MIN_SHARED else Reaction.DISLIKE) for p in shown]


@dataclass
class SimilarityRule:
    """Model (b): up when the product is closer to the target than the median product of the target's type."""

    retriever: Retriever
    name: str = "similarity"
    _bars: dict[str, float] = field(default_factory=dict)

    def bar(self, target: Product) -> float:
        """The median cosine between the target and the other products of its type (cached per target)."""
        if target.id not in self._bars:
            positions = np.flatnonzero([p.product_type == target.product_type and p.id != target.id
                                        for p in self.retriever.snapshot.products])
            vector = self._vector(target)
            self._bars[target.id] = float(np.median(self.retriever.vectors(positions) @ vector))
        return self._bars[target.id]

    def react(self, shown: Sequence[Product], target: Product, rng: random.Random) -> list[tuple[Product, Reaction]]:
        bar, vector = self.bar(target), self._vector(target)
        return [(p, Reaction.LIKE if float(self._vector(p) @ vector) > bar else Reaction.DISLIKE) for p in shown]

    def _vector(self, product: Product) -> np.ndarray:
        vector = self.retriever.embedding(product.id)
        if vector is None:
            raise KeyError(f"no stored vector for product {product.id}")
        return vector


@dataclass
class NoisyRule:
    """Model (c): the attribute rule with unrated cards and flipped reactions."""

    name: str = "noisy"
    skip: float = SKIP_RATE
    flip: float = FLIP_RATE
    rule: AttributeRule = field(default_factory=AttributeRule)

    def react(self, shown: Sequence[Product], target: Product, rng: random.Random) -> list[tuple[Product, Reaction]]:
        reactions = []
        for product, kind in self.rule.react(shown, target, rng):
            if rng.random() < self.skip:
                continue
            if rng.random() < self.flip:
                kind = Reaction.DISLIKE if kind is Reaction.LIKE else Reaction.LIKE
            reactions.append((product, kind))
        return reactions


CustomerModel = AttributeRule | SimilarityRule | NoisyRule


def customer_model(name: str, retriever: Retriever) -> CustomerModel:
    """The customer model called ``name`` (one of ``MODELS``)."""
    if name == "attribute":
        return AttributeRule()
    if name == "similarity":
        return SimilarityRule(retriever)
    if name == "noisy":
        return NoisyRule()
    raise ValueError(f"Unknown customer model {name!r}; choose one of {MODELS}")
