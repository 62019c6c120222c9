"""The target search's parts on small hand-made catalogs: beliefs, pages, the fitted prior. Deterministic, no store."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.target import Features, TargetWeights, belief, choose_page, fit_attribute_prior, hypothesis_prior, shared_values

ATTRIBUTES_ONLY = TargetWeights(look_share=0.0, lead_with_best=False)


def features(codes: list[list[int]], dim: int = 8) -> Features:
    """Products with the given attribute codes (one row per attribute) and distinct unit vectors."""
    codes_array = np.asarray(codes, dtype=np.int32)
    vectors = np.eye(codes_array.shape[1], dim, dtype=np.float32) if codes_array.shape[1] <= dim else None
    if vectors is None:
        rng = np.random.default_rng(0)
        vectors = rng.normal(size=(codes_array.shape[1], dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return Features(codes_array, vectors)


def posterior(reacted: Features, strengths: list[float], candidates: Features, weights: TargetWeights) -> np.ndarray:
    typical = candidates.vectors @ candidates.vectors.mean(axis=0)
    return belief(reacted, np.asarray(strengths), candidates, typical, np.zeros(len(candidates)), weights).log_posterior


def test_shared_values_count_equal_codes_and_never_match_missing_ones() -> None:
    a = np.asarray([[0, 1], [2, -1]])  # two products, two attributes
    b = np.asarray([[0, 0, 1], [2, -1, -1]])
    assert shared_values(a, b).tolist() == [[2, 1, 0], [0, 0, 1]]


def test_hypothesis_prior_sums_to_one_and_rejects_a_prior_of_the_wrong_length() -> None:
    assert hypothesis_prior(TargetWeights()).sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="one per threshold"):
        hypothesis_prior(TargetWeights(attribute_prior=(1.0, 2.0)))


def test_a_like_lifts_products_sharing_its_values_and_a_dislike_lowers_them() -> None:
    # colour, brand: candidates 0-3; product 0 is liked, product 3 shares nothing with it
    candidates = features([[0, 0, 1, 1], [0, 1, 0, 1]])
    liked = posterior(candidates.take(np.array([0])), [1.0], candidates, ATTRIBUTES_ONLY)
    assert int(np.argmax(liked)) == 0
    assert liked[0] > liked[1] > liked[3] and liked[2] > liked[3]
    disliked = posterior(candidates.take(np.array([0])), [-1.0], candidates, ATTRIBUTES_ONLY)
    assert int(np.argmin(disliked)) == 0 and disliked[3] == max(disliked)


def test_a_stray_reaction_lowers_the_target_without_ruling_it_out() -> None:
    combos = [[(i >> bit) & 1 for i in range(8)] for bit in range(3)]  # every product of three two-valued attributes
    candidates = features(combos)  # product 0 has the values (0, 0, 0): the customer wants it
    reacted = candidates.take(np.array([4, 2, 7, 5]))  # (0, 0, 1) and (0, 1, 0) share two values; (1, 1, 1) none, (1, 0, 1) one
    clean = posterior(reacted, [1.0, 1.0, -1.0, -1.0], candidates, ATTRIBUTES_ONLY)
    slipped = posterior(reacted, [1.0, 1.0, -1.0, 1.0], candidates, ATTRIBUTES_ONLY)
    assert int(np.argmax(clean)) == 0
    assert np.isfinite(slipped[0]) and slipped[0] < clean[0]
    assert np.argsort(-slipped).tolist().index(0) <= 2  # still among the likeliest


def test_stronger_and_repeated_reactions_weigh_more() -> None:
    candidates = features([[0, 0, 1], [0, 1, 1]])
    once = posterior(candidates.take(np.array([0])), [1.0], candidates, ATTRIBUTES_ONLY)
    cart = posterior(candidates.take(np.array([0])), [1.5], candidates, ATTRIBUTES_ONLY)
    assert cart[0] - cart[2] > once[0] - once[2] > 0


def test_no_reactions_leave_the_prior() -> None:
    candidates = features([[0, 1, 2]])
    empty = Features(np.zeros((1, 0), dtype=np.int32), np.zeros((0, 8), dtype=np.float32))
    state = belief(empty, np.zeros(0), candidates, np.zeros(3), np.array([0.5, 1.0, 0.0]), TargetWeights())
    assert state.log_posterior.tolist() == [0.5, 1.0, 0.0]


def colour_groups() -> tuple[Features, TargetWeights]:
    """30 equally likely candidates: ten red, ten blue, ten green; customers like a card of the target's colour."""
    candidates = features([[0] * 10 + [1] * 10 + [2] * 10], dim=32)
    weights = TargetWeights(attribute_thresholds=(0.5,), look_share=0.0, noise=(0.05,), lead_with_best=False)
    return candidates, weights


def test_a_curious_page_splits_the_likely_targets_and_a_greedy_one_does_not() -> None:
    candidates, weights = colour_groups()
    state = belief(Features(np.zeros((1, 0), dtype=np.int32), np.zeros((0, 32), dtype=np.float32)), np.zeros(0),
                   candidates, np.zeros(30), np.zeros(30), weights)
    colours = candidates.codes[0]
    curious = choose_page(state, candidates, np.zeros(30), 3, weights, curiosity=1.0)
    greedy = choose_page(state, candidates, np.zeros(30), 3, weights, curiosity=0.0)
    assert len(set(colours[curious].tolist())) >= 2  # red and blue: the answers then tell all three colours apart
    assert greedy == [0, 1, 2] and len(set(colours[greedy].tolist())) == 1
    assert choose_page(state, candidates, np.zeros(30), 3, weights, curiosity=1.0) == curious  # deterministic


def test_pages_hold_distinct_candidates_and_skip_excluded_ones() -> None:
    candidates, weights = colour_groups()
    state = belief(candidates.take(np.array([0])), np.array([1.0]), candidates, np.zeros(30), np.zeros(30), weights)
    page = choose_page(state, candidates, np.zeros(30), 5, weights, exclude=[0, 1, 2])
    assert len(page) == len(set(page)) == 5 and not {0, 1, 2} & set(page)
    assert len(choose_page(state, candidates, np.zeros(30), 40, weights)) == 30


def test_a_page_can_lead_with_the_most_probable_candidate() -> None:
    candidates, weights = colour_groups()
    prior = np.zeros(30)
    prior[17] = 2.0
    state = belief(candidates.take(np.array([0])), np.array([-1.0]), candidates, np.zeros(30), prior, weights)
    page = choose_page(state, candidates, np.zeros(30), 4, TargetWeights(**{**weights.__dict__, "lead_with_best": True}))
    assert page[0] == 17


def test_the_fitted_prior_finds_the_threshold_customers_use() -> None:
    rng = np.random.default_rng(3)
    catalog = rng.integers(0, 3, size=(4, 200)).astype(np.int32)  # four attributes, three values each
    conversations = []
    for _ in range(60):
        target = catalog[:, rng.integers(200)]
        shown = catalog[:, rng.choice(200, 12, replace=False)]
        liked = (shown == target[:, None]).sum(axis=0) >= 2  # the customers' rule: at least 2 shared values
        conversations.append((Features(shown, np.zeros((12, 4), dtype=np.float32)), np.where(liked, 1.0, -1.0), target))
    prior = fit_attribute_prior(conversations, TargetWeights())
    assert len(prior) == len(TargetWeights().attribute_thresholds) and sum(prior) == pytest.approx(1.0, abs=1e-3)
    assert int(np.argmax(prior)) == 1 and prior[1] > 0.8  # threshold 1.5: "at least 2 of them"
