"""What the customer's reactions weigh, and what they say in words.

The ranking itself is a target search (``retrieval.target``): every reaction is evidence about the
product the customer is after. This module turns stored reactions into that evidence and into
the learned preferences that explain a result ("you liked brand Puma"):

- Strength: a reaction of the current conversation counts fully (add to cart 1.5, like 1, click
  0.3, thumbs down -1); one of an earlier conversation counts ``long_term`` as much, halved every
  ``half_life_days``. That is how long-term taste carries over to later sessions without deciding
  them. Several reactions to one product add up.
- Profile: the learned attribute preferences (sum of strengths per brand, colour, type, occasion,
  season value) and the centroids of liked and disliked products, for explanations.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from retrieval.attributes import REGISTRY, Attribute
from retrieval.feedback import StoredReaction
from retrieval.target import TargetWeights
from retrieval.types import Product

SIMILAR_TO_LIKED = 0.6
"""Cosine to the liked centroid above which a product is explained as "similar to products you liked"."""


@dataclass(frozen=True)
class RerankWeights:
    """How reactions count over time, and the target search's own weights (``benchmarks/feedback_simulation.py`` tunes them)."""

    half_life_days: float = 14.0
    long_term: float = 0.5  # weight of a reaction from an earlier session, before decay
    target: TargetWeights = field(default_factory=TargetWeights)


@dataclass
class Profile:
    """What the reactions say about the customer, in terms a person can read."""

    liked_vector: np.ndarray | None = None
    disliked_vector: np.ndarray | None = None
    attribute_weights: dict[tuple[str, str], float] = field(default_factory=dict)

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


def reaction_strengths(reactions: Sequence[StoredReaction], conversation_id: str, now: datetime,
                       weights: RerankWeights) -> dict[str, float]:
    """Net signed strength per product (reactions to one product add up; those that cancel out drop)."""
    strengths: dict[str, float] = defaultdict(float)
    for reaction in reactions:
        strengths[reaction.product_id] += reaction_weight(reaction, conversation_id, now, weights)
    return {product_id: value for product_id, value in strengths.items() if abs(value) > 1e-9}


def build_profile(
    reactions: Sequence[StoredReaction],
    products: dict[str, Product],
    embedding: Callable[[str], np.ndarray | None],
    *,
    conversation_id: str,
    weights: RerankWeights,
    now: datetime | None = None,
) -> Profile:
    """Fold the reactions into learned attribute weights and the centroids of liked and disliked products."""
    now = now or datetime.now(UTC)
    liked_sum: np.ndarray | None = None
    disliked_sum: np.ndarray | None = None
    attributes: dict[tuple[str, str], float] = defaultdict(float)
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
    return Profile(liked_vector=_unit(liked_sum), disliked_vector=_unit(disliked_sum), attribute_weights=dict(attributes))


def _unit(vector: np.ndarray | None) -> np.ndarray | None:
    if vector is None:
        return None
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 1e-9 else None


def preference_reasons(product: Product, profile: Profile, vector: np.ndarray | None) -> list[str]:
    """Why the reactions favour (or disfavour) ``product``: learned attribute values and closeness to liked products."""
    reasons = []
    if vector is not None and profile.liked_vector is not None:
        similarity = float(vector @ profile.liked_vector)
        if similarity > SIMILAR_TO_LIKED:
            reasons.append(f"similar to products you liked ({similarity:.2f})")
    for spec in learned_attributes():
        value, learned = preference_weight(profile, spec, product)
        if abs(learned) >= 0.5:
            reasons.append(f"you {'liked' if learned > 0 else 'turned down'} {spec.label} {value}")
    return reasons
