"""Small units: BM25 scoring, filter masks, the ANN filtering strategies, mapping derivations."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval import ann
from retrieval.filtering import AttributeTable
from retrieval.index import VectorIndex
from retrieval.lexical import BM25, tokenize
from retrieval.types import Filters


def test_tokenize_folds_plurals_and_hyphens() -> None:
    assert tokenize("Black T-Shirts & Dresses, shoes") == ["black", "tshirt", "dress", "shoe"]


def test_bm25_prefers_rare_terms_and_short_documents() -> None:
    bm25 = BM25(["red shirt", "red dress", "blue shirt with a long description of many words", "green shoes"])
    scores = bm25.scores("red dress")
    assert int(np.argmax(scores)) == 1
    assert scores[3] == 0
    long_vs_short = bm25.scores("shirt")
    assert long_vs_short[0] > long_vs_short[2] > 0
    assert not bm25.scores("unknownword").any()


def test_attribute_mask() -> None:
    table = AttributeTable(np.array([3, 5, 9, 11]), {"colour": ["Black", "red", None, "Red"], "gender": ["Men", "Women", "Men", "Unisex"]},
                           np.array([10.0, np.nan, 30.0, 5.0]), ["a", "b", "c", "d"],
                           multi={"size": [("M",), ("S", "M"), (), ()]},
                           texts=["polyester tee", "cotton dress", "linen shirt", "polyester cotton blend"])
    assert table.mask(None) is None and table.mask(Filters()) is None
    assert table.mask(Filters.where(colour=["RED"])).tolist() == [False, True, False, True]
    # a gender filter also admits unisex products
    assert table.mask(Filters.where(gender=["Men"], exclude={"colour": ["black"]})).tolist() == [False, False, True, True]
    assert table.mask(Filters.where(price_max=20)).tolist() == [True, False, False, True]
    assert table.mask(Filters.where(size=["m"], exclude_ids=["a"])).tolist() == [False, True, False, False]
    assert not table.mask(Filters.where(brand=["Nobody"])).any()
    # materials have no column: an excluded material leaves out products whose text names it
    assert table.mask(Filters.where(exclude={"material": ["Polyester"]})).tolist() == [False, True, True, False]


def test_filters_refuse_unregistered_attributes() -> None:
    with pytest.raises(KeyError, match="colr"):
        Filters.where(colr=["Red"])


@pytest.mark.parametrize("kind", ["flat", "ivf"])
@pytest.mark.parametrize("strategy", ["pre", "post", "exact", "auto"])
@pytest.mark.parametrize("selectivity", [0.005, 0.1, 0.7])
def test_filtered_ann_matches_exact(kind: str, strategy: str, selectivity: float) -> None:
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(4000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(4000, dtype=np.int64) * 2 + 1  # sparse ids, as after deletions
    index = VectorIndex.build(vectors, ids, kind=kind, nlist=32)
    mask = rng.random(4000) < selectivity
    bitmap = ann.allowed_bitmap(ids, mask)
    query = vectors[7]
    scores, found = ann.search(index, query, 10, bitmap=bitmap, selectivity=float(mask.mean()), strategy=strategy)
    exact = ids[mask][np.argsort(-(vectors[mask] @ query))[:10]]
    assert set(found.tolist()) <= set(ids[mask].tolist())
    recall = len(set(found.tolist()) & set(exact.tolist())) / len(exact)
    assert recall >= (1.0 if kind == "flat" else 0.8)


def test_index_remove_and_reconstruct() -> None:
    vectors = np.eye(4, 8, dtype=np.float32)
    index = VectorIndex.build(vectors, np.array([10, 11, 12, 13]))
    assert index.remove(np.array([11, 99])) == 1
    assert index.ntotal == 3 and index.reconstruct(11) is None
    np.testing.assert_array_equal(index.reconstruct(12), vectors[2])
