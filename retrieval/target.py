"""Target search: which product is this customer after, given the cards they reacted to?

A thumbs up or down says whether a card is close to the product the customer has in mind. The
ranker therefore treats every product the filters allow as a candidate target and scores it by how
well it explains all the reactions so far (a Bayesian target search, as in relevance feedback for
image retrieval), instead of nudging a few query results toward liked products:

    log P(t | reactions) = relevance(t) + log sum_h P(h) prod_r P(reaction r | card r, target t, h) ** |w_r|

- ``h`` is a hypothesis about how the customer judges a card, since nobody knows in advance. By
  attributes: thumbs up when the card holds at least ``k`` of the target's attribute values (type,
  colour, gender, brand, occasion, season: every single-valued catalog attribute), one hypothesis
  per ``k``. By look: thumbs up when the card's embedding is closer to the target's than the
  target's average neighbour among the candidates is, by at least a margin, one hypothesis per
  margin. Each rule is combined with a noise level: with that probability the customer presses the
  other button, so one stray thumb lowers a product instead of ruling it out. The reactions decide
  between the hypotheses as they come in.
- ``w_r`` is the reaction's signed strength: add to cart > like > click, negative for thumbs down
  and "not this one", and decayed for reactions of earlier conversations (``retrieval.rerank``).
- ``relevance(t)`` is the query relevance: 1 for the best hybrid-search hit, falling to 0 at the end
  of the relevance pool. A vague request ("t-shirts") leaves the reactions to decide.

Which cards come next matters as much as the scores: a page of the five most probable products
gets five thumbs up that teach nothing new. ``choose_page`` picks cards greedily by their chance of
being the target plus ``curiosity`` times the information their reactions would give about it (the
mutual information between the page's answers and the target, in nats), so early pages split the
likely candidates and later ones, once the belief is sharp, show the best few.

Everything is numpy over at most a few thousand candidates: a few milliseconds a turn
(``benchmarks/feedback_simulation.py`` measures it). ``fit_attribute_prior`` fits the prior over
the attribute thresholds from conversations whose target is known.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

ATTRIBUTE_THRESHOLDS = (0.5, 1.5, 2.5, 3.5, 4.5, 5.5)
"""Shared attribute values at which a thumb flips: "at least 1" ... "at least 6" of them."""


@dataclass(frozen=True)
class TargetWeights:
    """How reactions become a belief about the target, and how pages are chosen from it."""

    attribute_thresholds: tuple[float, ...] = ATTRIBUTE_THRESHOLDS
    attribute_prior: tuple[float, ...] | None = None
    """Prior weight of each attribute threshold (fitted, see ``fit_attribute_prior``); None: uniform.
    Uniform ships: a prior fitted to simulated customers would encode the simulation's own rule
    (``benchmarks/feedback_simulation.py`` reports what fitting it would add)."""
    attribute_sharpness: float = 10.0
    """Logit change per shared value: how sharply a customer's thumb follows their attribute threshold."""
    look_margins: tuple[float, ...] = (0.0, 0.05, 0.1, 0.15)
    """Cosine beyond the target's average neighbour at which a thumb flips, one hypothesis each."""
    look_sharpness: float = 40.0
    """Logit change per unit of cosine."""
    look_share: float = 0.5
    """Prior probability that a customer judges by look rather than by attributes."""
    noise: tuple[float, ...] = (0.02, 0.1, 0.25)
    """Probabilities that a reaction contradicts the customer's own rule, equally likely a priori."""
    relevance: float = 1.0
    """Weight of the query relevance in the log prior."""
    curiosity: float = 0.3
    """Weight of the information a page's reactions would give (nats) against its chance of holding the target."""
    targets_considered: int = 256
    """The most probable candidates whose split is measured when choosing a page."""
    cards_considered: int = 256
    """Cards weighed for a page: half the most probable, half spread over the rest of the belief."""
    lead_with_best: bool = True

    @property
    def rules(self) -> int:
        return len(self.attribute_thresholds) + len(self.look_margins)


@dataclass(frozen=True)
class Features:
    """What the learner knows of some products: their attribute codes and embeddings."""

    codes: np.ndarray
    """(attributes, products) integer value codes, -1 where a product has no value."""
    vectors: np.ndarray
    """(products, dim) L2-normalised embeddings."""

    def __len__(self) -> int:
        return int(self.codes.shape[1])

    def take(self, index: np.ndarray) -> Features:
        return Features(self.codes[:, index], self.vectors[index])


@dataclass
class Belief:
    """The learner's belief after some reactions."""

    log_posterior: np.ndarray
    """(candidates,) log P(target | reactions), up to a constant."""
    hypotheses: np.ndarray
    """(noise levels x rules, candidates) P(hypothesis | this candidate is the target, reactions)."""


def shared_values(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(a products, b products) how many attribute values each pair has in common (missing values never match)."""
    same = (a[:, :, None] == b[:, None, :]) & (a[:, :, None] >= 0)
    return same.sum(axis=0, dtype=np.float32)


def rule_agreement(cards: Features, targets: Features, typical: np.ndarray, weights: TargetWeights) -> np.ndarray:
    """(rules, cards, targets) P(thumbs up on a card | target, judging rule), before noise.

    ``typical``: each target's cosine to the average candidate, the bar of the look rules.
    """
    shared = shared_values(cards.codes, targets.codes)
    closeness = (cards.vectors @ targets.vectors.T).astype(np.float32) - typical.astype(np.float32)[None, :]
    logits = np.empty((weights.rules, *shared.shape), dtype=np.float32)
    for i, threshold in enumerate(weights.attribute_thresholds):
        np.multiply(shared - np.float32(threshold), np.float32(0.5 * weights.attribute_sharpness), out=logits[i])
    for j, margin in enumerate(weights.look_margins, start=len(weights.attribute_thresholds)):
        np.multiply(closeness - np.float32(margin), np.float32(0.5 * weights.look_sharpness), out=logits[j])
    np.tanh(logits, out=logits)  # sigmoid(x) = (1 + tanh(x / 2)) / 2, in place
    logits += 1.0
    logits *= 0.5
    return logits


def hypothesis_prior(weights: TargetWeights) -> np.ndarray:
    """(noise levels x rules,) prior probability of each hypothesis, noise-major."""
    thresholds = len(weights.attribute_thresholds)
    attribute = np.ones(thresholds) if weights.attribute_prior is None else np.asarray(weights.attribute_prior, dtype=np.float64)
    if attribute.shape != (thresholds,) or attribute.sum() <= 0:
        raise ValueError(f"attribute_prior needs {thresholds} non-negative weights, one per threshold; got {weights.attribute_prior}")
    look = np.full(len(weights.look_margins), 1.0 / max(len(weights.look_margins), 1))
    rules = np.concatenate([(1.0 - weights.look_share) * attribute / attribute.sum(), weights.look_share * look])
    return np.tile(rules, len(weights.noise)) / len(weights.noise)


def belief(reacted: Features, strengths: np.ndarray, candidates: Features, typical: np.ndarray, log_prior: np.ndarray,
           weights: TargetWeights) -> Belief:
    """The belief over ``candidates`` after reactions of signed ``strengths`` to the ``reacted`` products."""
    if len(reacted) == 0:
        return Belief(log_posterior=np.asarray(log_prior, dtype=np.float64),
                      hypotheses=np.repeat(hypothesis_prior(weights)[:, None], len(candidates), axis=1))
    agree = rule_agreement(reacted, candidates, typical, weights)  # (rules, reactions, candidates)
    agree = np.where((np.asarray(strengths) > 0)[None, :, None], agree, 1.0 - agree)
    strength = np.abs(np.asarray(strengths, dtype=np.float32))[None, :, None]
    loglik = np.concatenate([(strength * np.log(e + (1.0 - 2.0 * e) * agree)).sum(axis=1) for e in weights.noise])
    with np.errstate(divide="ignore"):
        joint = loglik + np.log(hypothesis_prior(weights))[:, None]
    top = joint.max(axis=0)
    total = top + np.log(np.exp(joint - top).sum(axis=0))
    return Belief(log_posterior=np.asarray(log_prior, dtype=np.float64) + total, hypotheses=np.exp(joint - total))


def _entropy(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-12, 1.0)
    return -(p * np.log(p)).sum(axis=-1)


def choose_page(state: Belief, candidates: Features, typical: np.ndarray, size: int, weights: TargetWeights, *,
                curiosity: float | None = None, exclude: Sequence[int] = ()) -> list[int]:
    """Indices of ``size`` candidates to show: likely targets whose reactions also best split the likely ones.

    Greedy: each card is added for its posterior probability of being the target plus
    ``curiosity`` (default ``weights.curiosity``) times the information the page's answers would
    then give about the target. With curiosity 0 this is the ``size`` most probable candidates.
    """
    curiosity = weights.curiosity if curiosity is None else curiosity
    order = np.argsort(-state.log_posterior, kind="stable")
    if len(exclude):
        order = order[~np.isin(order, np.asarray(exclude, dtype=np.int64))]
    if len(order) <= size or curiosity <= 0:
        return [int(i) for i in order[:size]]
    probabilities = np.exp(state.log_posterior - state.log_posterior[order[0]])
    probabilities /= probabilities[order].sum()
    targets = order[: weights.targets_considered]
    mass = (probabilities[targets] / probabilities[targets].sum()).astype(np.float32)
    half = weights.cards_considered // 2
    rest = order[half:]
    spread = rest[np.linspace(0, len(rest) - 1, min(len(rest), half)).astype(np.int64)] if len(rest) else rest
    cards = np.concatenate([order[:half], spread])
    agree = rule_agreement(candidates.take(cards), candidates.take(targets), typical[targets], weights)
    noise = np.asarray(weights.noise)
    posterior = state.hypotheses[:, targets].reshape(len(noise), weights.rules, len(targets))
    slope = (posterior * (1.0 - 2.0 * noise)[:, None, None]).sum(axis=0).astype(np.float32)  # (rules, targets)
    floor = (posterior * noise[:, None, None]).sum(axis=(0, 1)).astype(np.float32)  # (targets,)
    like = np.einsum("rct,rt->ct", agree, slope) + floor[None, :]  # P(thumbs up | card, target), hypotheses summed
    unsure = (mass[None, :] * _entropy(np.stack([like, 1.0 - like], axis=-1))).sum(axis=1)  # E_t H(answer | t)
    gain = probabilities[cards]
    patterns = np.ones((1, len(targets)), dtype=np.float32)  # P(answers so far | target), one row per answer pattern
    known = 0.0  # entropy of the answers of the cards chosen so far
    available = np.ones(len(cards), dtype=bool)
    chosen: list[int] = []
    for _ in range(size):
        joint = np.concatenate([patterns[None] * like[:, None, :], patterns[None] * (1.0 - like)[:, None, :]], axis=1)
        answers = joint @ mass  # (cards, patterns): P(pattern) if the card joins the page
        information = _entropy(answers) - known - unsure
        score = np.where(available, gain + curiosity * information, -np.inf)
        best = 0 if (not chosen and weights.lead_with_best) else int(np.argmax(score))
        chosen.append(best)
        available[best] = False
        patterns, known = joint[best], float(_entropy(answers[best]))
        if len(patterns) > 64:  # keep the most probable answer patterns
            patterns = patterns[np.argsort(-(patterns @ mass))[:64]]
            known = float(_entropy(patterns @ mass))
    return [int(cards[i]) for i in chosen]


def fit_attribute_prior(conversations: Sequence[tuple[Features, np.ndarray, np.ndarray]], weights: TargetWeights, *,
                        iterations: int = 50, pseudo_count: float = 1.0) -> tuple[float, ...]:
    """The prior over attribute thresholds that best explains conversations whose target is known (EM).

    Each conversation is (reacted products, signed strengths, the target's attribute codes). The
    noise levels stay equally likely; ``pseudo_count`` keeps every threshold possible.
    """
    thresholds = len(weights.attribute_thresholds)
    rows = []
    for reacted, strengths, target_codes in conversations:
        if len(reacted) == 0:
            continue
        target = Features(np.asarray(target_codes).reshape(-1, 1), np.zeros((1, reacted.vectors.shape[1]), dtype=np.float32))
        agree = rule_agreement(reacted, target, np.zeros(1), weights)[:thresholds, :, 0]  # (thresholds, reactions)
        agree = np.where(np.asarray(strengths)[None, :] > 0, agree, 1.0 - agree)
        strength = np.abs(np.asarray(strengths, dtype=np.float64))[None, :]
        per_noise = [(strength * np.log(e + (1.0 - 2.0 * e) * agree)).sum(axis=1) for e in weights.noise]
        stacked = np.stack(per_noise)
        top = stacked.max(axis=0)
        rows.append(top + np.log(np.exp(stacked - top).mean(axis=0)))
    prior = np.full(thresholds, 1.0 / thresholds)
    if not rows:
        return tuple(float(p) for p in prior)
    loglik = np.stack(rows)  # (conversations, thresholds)
    for _ in range(iterations):
        joint = loglik + np.log(prior)[None, :]
        responsibility = np.exp(joint - joint.max(axis=1, keepdims=True))
        responsibility /= responsibility.sum(axis=1, keepdims=True)
        prior = (responsibility.sum(axis=0) + pseudo_count) / (len(loglik) + pseudo_count * thresholds)
    return tuple(round(float(p), 4) for p in prior)
