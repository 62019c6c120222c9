"""The pure parts of the retrieval benchmark: query generation, metrics, the conversation's filters, ANN helpers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmarks.ann_scale import exact_top, recall, relative_contrast, sample_mixture
from benchmarks.known_item import SYNONYMS, known_items, product_rng, reword, words_of
from benchmarks.retrieval_quality import category_queries, dialogue_filters, found_at_k, mrr_at_k, ndcg_at_k
from retrieval.types import Product


def test_reword_is_deterministic_per_product() -> None:
    title = "Turtle Check Men Navy Blue Shirt"
    first = reword(title, product_rng(0, "15970"))
    assert first == reword(title, product_rng(0, "15970"))
    variants = {reword(title, product_rng(seed, "15970")) for seed in range(20)}
    assert len(variants) > 5  # the seed matters
    for text in variants:
        assert len(text.split()) >= 2
        assert text == text.lower()


def test_reword_keeps_at_least_two_words_and_uses_the_synonym_list() -> None:
    rng = np.random.default_rng(0)
    texts = [reword("Women Black Trousers", rng, drop=1.0, swap=1.0) for _ in range(50)]
    assert all(len(t.split()) >= 2 for t in texts)
    assert any(word in t for t in texts for word in ("ladies", "female", "pants"))
    assert reword("Nike Men Navy Blue Shoes", rng, drop=0.0, swap=1.0).split()[2:4] == ["dark", "blue"]  # a pair first
    assert reword("A", rng) == "a"
    assert all(key == key.lower() for key in SYNONYMS)


def test_words_keep_letters_of_any_script() -> None:
    assert words_of("POÄNG Footstool, in/outdoor 51x51 cm") == ["poäng", "footstool", "in", "outdoor", "51x51", "cm"]
    assert words_of("Men's T-Shirt") == ["men's", "t-shirt"]


def test_known_items_are_reproducible_and_count_duplicates_as_the_item() -> None:
    products = [Product(id=str(i), title=f"Brand{i % 7} Men Blue Shirt") for i in range(40)] + [Product(id="x", title="Solo")]
    first = known_items(products, "myntra", 10, seed=3)
    assert [(k.product_id, k.query) for k in first] == [(k.product_id, k.query) for k in known_items(products, "myntra", 10, seed=3)]
    assert len(first) == 10 and "x" not in {k.product_id for k in first}  # one-word titles are not drawn
    for item in first:
        assert item.product_id in item.equivalents
        assert all(int(pid) % 7 == int(item.product_id) % 7 for pid in item.equivalents)
    ikea = known_items([Product(id="1", title="BILLY", description="Bookcase, white")], "ikea", 1)
    assert ikea[0].source == "BILLY Bookcase, white"


def test_ranking_metrics_on_hand_made_rankings() -> None:
    ranked = ["a", "b", "c", "d"]
    assert mrr_at_k(ranked, {"c"}) == pytest.approx(1 / 3)
    assert mrr_at_k(ranked, {"z"}) == 0.0
    assert mrr_at_k(ranked, {"d"}, k=3) == 0.0
    assert found_at_k(ranked, {"z", "d"}) == 1.0
    assert found_at_k(ranked, {"d"}, k=3) == 0.0
    assert ndcg_at_k(ranked, {"a", "b"}) == pytest.approx(1.0)
    assert ndcg_at_k(ranked, {"b"}) == pytest.approx(1 / math.log2(3))
    # relevant at ranks 2 and 4 of four relevant items: (1/log2(3) + 1/log2(5)) / (1 + 1/log2(3) + 1/2 + 1/log2(5))
    ideal = 1 + 1 / math.log2(3) + 0.5 + 1 / math.log2(5)
    assert ndcg_at_k(ranked, {"b", "d", "y", "z"}) == pytest.approx((1 / math.log2(3) + 1 / math.log2(5)) / ideal)
    assert ndcg_at_k(ranked, set()) == 0.0


def test_dialogue_filters_read_phrases_once_in_registry_order() -> None:
    table = {("product_type", "sports shoes"): ["Sports Shoes"], ("product_type", "shoes"): ["Casual Shoes"],
             ("colour", "navy blue"): ["Navy Blue"], ("colour", "blue"): ["Blue"], ("gender", "men"): ["Men"],
             ("brand", "blue"): ["Blue Brand"], ("brand", "for"): ["For Ltd"], ("category", "bags"): ["Accessories > Bags"]}

    def lookup(name: str, phrase: str) -> list[str]:
        return table.get((name, phrase), [])

    filters = dialogue_filters("navy blue sports shoes for men", lookup)
    assert filters is not None
    assert filters.include == {"product_type": ["Sports Shoes"], "colour": ["Navy Blue"], "gender": ["Men"]}  # "blue" not a brand, "for" skipped
    bags = dialogue_filters("blue bags", lookup)
    assert bags is not None and bags.include == {"category": ["Accessories > Bags"], "colour": ["Blue"]}  # a type word that is a category
    assert dialogue_filters("something nice", lookup) is None


def test_category_queries_and_their_relevance() -> None:
    products = [Product(id=str(i), title="t", category=cat) for i, cat in enumerate(
        ["Clothing > Women's > Shorts"] * 3 + ["Clothing > Sports > Shorts"] * 2 + ["Kitchen > Mugs"] * 2 + ["Kitchen"])]
    queries = {(q.kind, q.text): q.relevant for q in category_queries(products, min_products=2)}
    assert queries[("leaf", "shorts")] == frozenset({"0", "1", "2", "3", "4"})  # every shorts branch
    assert queries[("two_levels", "women's shorts")] == frozenset({"0", "1", "2"})
    assert queries[("leaf", "mugs")] == frozenset({"5", "6"})
    assert ("leaf", "kitchen") in queries  # a leaf of one product, with three products under it
    assert ("leaf", "clothing") not in queries  # never a leaf


def test_relative_contrast_of_hand_made_neighbourhoods() -> None:
    top = np.array([[0.9, 0.8, 0.5], [0.7, 0.6, 0.5]])
    mean_distance = np.array([1.0, 1.0])
    rc = relative_contrast(top, mean_distance, ranks=(1, 3))
    assert rc["cos_at_1"] == pytest.approx(0.8)
    assert rc["cos_at_3"] == pytest.approx(0.5)
    d1 = (np.sqrt(2 - 2 * 0.9) + np.sqrt(2 - 2 * 0.7)) / 2
    assert rc["contrast_at_1"] == pytest.approx(1 / d1, abs=1e-3)
    assert rc["contrast_at_3"] == pytest.approx(1.0, abs=1e-3)
    assert rc["mean_cos"] == pytest.approx(0.5)


def test_exact_top_respects_masks_and_recall_counts_ties() -> None:
    vectors = np.eye(4, dtype=np.float32)
    queries = np.array([[1, 0.5, 0, 0]], dtype=np.float32)
    cos, pos = exact_top(vectors, queries, 2)
    assert pos[0].tolist() == [0, 1]
    cos, pos = exact_top(vectors, queries, 2, [np.array([False, True, False, False])])
    assert pos[0].tolist()[0] == 1 and np.isinf(cos[0][1])
    truth = np.array([0.9, 0.8, 0.8])
    assert recall(np.array([0.9, 0.8, 0.8]), truth) == 1.0
    assert recall(np.array([0.9, 0.8, 0.7]), truth) == pytest.approx(2 / 3)  # the third result is farther than the third neighbour
    assert recall(np.array([0.9]), np.array([0.9, -np.inf, -np.inf])) == 1.0  # only one item was allowed
    assert recall(np.array([]), np.array([-np.inf])) == 1.0


def test_mixture_samples_are_unit_vectors_drawn_from_their_components() -> None:
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((3, 16)).astype(np.float32)
    assign = np.repeat(np.arange(3), [50, 30, 1])
    real = centres[assign] + 0.1 * rng.standard_normal((81, 16)).astype(np.float32)
    real /= np.linalg.norm(real, axis=1, keepdims=True)
    vectors, parent = sample_mixture(real, assign, 2000, seed=1)
    again, _ = sample_mixture(real, assign, 2000, seed=1)
    assert np.array_equal(vectors, again)
    assert vectors.shape == (2000, 16) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    # each sample lies nearest the centre of the component its attributes come from
    nearest = np.argmax(vectors @ (centres / np.linalg.norm(centres, axis=1, keepdims=True)).T, axis=1)
    assert np.mean(nearest == assign[parent]) > 0.95
    assert abs(np.mean(assign[parent] == 0) - 50 / 81) < 0.05
