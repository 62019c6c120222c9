"""Re-ranking candidates with what the customer's reactions taught us.

Three signals, each in [-1, 1], added to the query relevance (in [0, 1]):
- Rocchio: similarity to the weighted centroid of liked products minus similarity to the centroid
  of disliked ones (a product-space move of the query, done on the candidates).
- Attribute preferences: a liked brand, colour, type or occasion lifts other products sharing it;
  a disliked one lowers them. Weights are squashed with tanh so one reaction nudges, several decide.
- Price band: products near the prices the customer liked get a small lift.
Reactions from the current conversation count fully; older ones decay with a half-life, which is
how long-term preferences carry over to later sessions without dominating them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from retrieval.attributes import REGISTRY, Attribute
from retrieval.feedback import StoredReaction
from retrieval.types import Hit, Product


@dataclass(frozen=True)
class RerankWeights:
    """How much each signal counts; tuned with the simulated-customer benchmark."""

    liked: float = 1.5
    disliked: float = 1.0
    attributes: float = 3.0
    price: float = 0.15
    half_life_days: float = 14.0
    long_term: float = 0.5  # weight of a reaction from an earlier session, before decay


@dataclass
class Profile:
    """What the reactions say about the customer, ready to score products."""

    liked_vector: np.ndarray | None = None
    disliked_vector: np.ndarray | None = None
    attribute_weights: dict[tuple[str, str], float] = field(default_factory=dict)
    liked_prices: list[tuple[float, float]] = field(default_factory=list)  # (price, weight)

    @property
    def is_empty(self) -> bool:
        return self.liked_vector is None and self.disliked_vector is None and not self.attribute_weights


def learned_attributes() -> tuple[Attribute, ...]:
    """The registered attributes whose values reactions teach (brand, colour, type, occasion, season)."""
    return tuple(spec for spec in REGISTRY if spec.learned)


def preference_weight(profile: Profile, spec: Attribute, product: Product) -> tuple[str | None, float]:
    """The product's value of ``spec`` and the learned weight of that value (0 when none was learned)."""
    for value in spec.values_of(product):
        weight = profile.attribute_weights.get((spec.name, value), 0.0)
        if weight:
            return value, weight
    return None, 0.0


def reaction_weight(reaction: StoredReaction, conversation_id: str, now: datetime, weights: RerankWeights) -> float:
    """Signed strength of one reaction: full in this conversation, decayed from earlier ones."""
    if reaction.conversation_id == conversation_id:
        return reaction.kind.weight
    age_days = max((now - reaction.created_at).total_seconds() / 86400.0, 0.0)
    return reaction.kind.weight * weights.long_term * 0.5 ** (age_days / weights.half_life_days)


def build_profile(
    reactions: Sequence[StoredReaction],
    products: dict[str, Product],
    embedding: Callable[[str], np.ndarray | None],
    *,
    conversation_id: str,
    weights: RerankWeights,
    now: datetime | None = None,
) -> Profile:
    """Fold the reactions into centroids, attribute weights and liked prices."""
    now = now or datetime.now(UTC)
    liked_sum: np.ndarray | None = None
    disliked_sum: np.ndarray | None = None
    attributes: dict[tuple[str, str], float] = defaultdict(float)
    prices: list[tuple[float, float]] = []
    for reaction in reactions:
        product = products.get(reaction.product_id)
        if product is None:
            continue
        weight = reaction_weight(reaction, conversation_id, now, weights)
        vector = embedding(reaction.product_id)
        if vector is not None:
            if weight > 0:
                liked_sum = vector * weight if liked_sum is None else liked_sum + vector * weight
            else:
                disliked_sum = vector * -weight if disliked_sum is None else disliked_sum - vector * weight
        for spec in learned_attributes():
            for value in spec.values_of(product):
                attributes[(spec.name, value)] += weight
        if weight > 0 and product.price is not None:
            prices.append((product.price, weight))
    return Profile(
        liked_vector=_unit(liked_sum), disliked_vector=_unit(disliked_sum),
        attribute_weights=dict(attributes), liked_prices=prices,
    )


def _unit(vector: np.ndarray | None) -> np.ndarray | None:
    if vector is None:
        return None
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 1e-9 else None


def _price_affinity(price: float | None, liked: list[tuple[float, float]]) -> float:
    """1 near the (weighted, log-scale) centre of liked prices, falling to 0 at a factor of 2 away."""
    if price is None or not liked or price <= 0:
        return 0.0
    total = sum(w for _, w in liked)
    centre = sum(math.log(max(p, 0.01)) * w for p, w in liked) / total
    return max(0.0, 1.0 - abs(math.log(price) - centre) / math.log(2.0))


def rerank(
    hits: Sequence[Hit],
    profile: Profile,
    embedding: Callable[[str], np.ndarray | None],
    *,
    weights: RerankWeights,
    extra: Sequence[Hit] = (),
) -> list[Hit]:
    """Re-score ``hits`` (in relevance order) plus ``extra`` candidates found near liked products."""
    candidates: dict[str, tuple[Hit, float]] = {}
    count = max(len(hits), 1)
    for rank, hit in enumerate(hits):
        candidates[hit.product.id] = (hit, 1.0 - rank / count)
    for hit in extra:  # found by the liked centroid, not the query: start below every query hit
        candidates.setdefault(hit.product.id, (hit, 0.0))
    rescored: list[Hit] = []
    for hit, relevance in candidates.values():
        product = hit.product
        score, reasons = relevance, list(hit.reasons)
        vector = embedding(product.id)
        if vector is not None and profile.liked_vector is not None:
            similarity = float(vector @ profile.liked_vector)
            score += weights.liked * similarity
            if similarity > 0.6:
                reasons.append(f"similar to products you liked ({similarity:.2f})")
        if vector is not None and profile.disliked_vector is not None:
            similarity = float(vector @ profile.disliked_vector)
            score -= weights.disliked * similarity
        attribute_score = 0.0
        learned_specs = learned_attributes()
        for spec in learned_specs:
            value, learned = preference_weight(profile, spec, product)
            if abs(learned) >= 0.5:
                attribute_score += math.tanh(learned)
                verb = "liked" if learned > 0 else "turned down"
                reasons.append(f"you {verb} {spec.label} {value}")
        score += weights.attributes * attribute_score / len(learned_specs)
        score += weights.price * _price_affinity(product.price, profile.liked_prices)
        rescored.append(Hit(product=product, score=score, reasons=reasons))
    rescored.sort(key=lambda h: -h.score)
    return rescored
