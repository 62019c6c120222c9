"""Ranking quality with labels the retriever did not make: known items on three catalogs, Flipkart categories.

Every query is run through four rankings of the same ``Retriever`` (``METHODS``): semantic alone,
BM25 alone, their blend (what ships, without the attribute boost) and the blend plus the boost
(``attribute_boost`` per catalog value the query names and the product has: the shipped search);
each once without filters and once with the filters the conversation would apply
(``dialogue_filters``). Metrics are at 10 with 95 % bootstrap intervals over queries.

The dialogue's filters, as a rule (``dialogue_filters``): the query's words, function words left
out, are read for every filterable attribute of the registry that the NLU names or that is read
from the customer's words (type, colour, gender, brand, occasion, season, size), in registry
order, longer phrases (up to three words) before shorter ones, each word used by one attribute at most; a phrase
counts when the retriever's vocabulary gives it catalog values (``canonical_values``) and the
phrase is a catalog value or a synonym-table word of that attribute, ignoring case, plurals and
hyphens. The close-spelling and nearest-by-meaning sources are left out: the queries carry no
typing errors, so for them those sources would only turn ordinary words into values ("self" into
the brand E.L.F). A product-type word that is no product type tries the category, as
``actions.refine`` does with a tagged entity ("bags"). This is more than the NLU would tag (it
reads every word as a possible value), so the filtered figures show the filters' effect at its
strongest, wrong filters included: ``filter_excludes_item`` counts the queries whose filters rule
out every relevant product, and ``excluded_by`` names the attribute that did.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks.known_item import KnownItem, words_of
from benchmarks.measure import bootstrap_ci
from retrieval.attributes import REGISTRY, Attribute, attribute
from retrieval.types import Filters
from retrieval.vocabulary import fold

K = 10
METHODS: dict[str, tuple[str, bool]] = {
    "semantic": ("semantic", False), "lexical": ("lexical", False), "blend": ("blend", False), "blend_boost": ("blend", True),
}
"""Reported name -> (``Retriever.search`` method, attribute boost on)."""
STOPWORDS = frozenset({"a", "an", "and", "&", "the", "for", "with", "in", "of", "on", "to", "by", "at", "from", "or", "s"})
Lookup = Callable[[str, str], list[str]]


# --- metrics -------------------------------------------------------------------------------------
def mrr_at_k(ranked: Sequence[str], relevant: Iterable[str], k: int = K) -> float:
    """Reciprocal rank of the first relevant result in the top ``k`` (0 when none)."""
    wanted = set(relevant)
    return next((1.0 / (i + 1) for i, pid in enumerate(ranked[:k]) if pid in wanted), 0.0)


def found_at_k(ranked: Sequence[str], relevant: Iterable[str], k: int = K) -> float:
    """1 when a relevant result is in the top ``k``: the recall@k of one known item (its duplicates count as it)."""
    wanted = set(relevant)
    return 1.0 if any(pid in wanted for pid in ranked[:k]) else 0.0


def ndcg_at_k(ranked: Sequence[str], relevant: Iterable[str], k: int = K) -> float:
    """Binary-gain NDCG@k: DCG of the ranking over the DCG of a ranking with every relevant result first."""
    wanted = set(relevant)
    if not wanted:
        return 0.0
    dcg = sum(1.0 / math.log2(i + 2) for i, pid in enumerate(ranked[:k]) if pid in wanted)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(wanted))))
    return dcg / ideal


def summary(values: Sequence[float], *, seed: int = 0) -> dict[str, float | int]:
    """Mean, 95 % bootstrap interval and count, rounded for the report."""
    low, high = bootstrap_ci(values, seed=seed)
    return {"value": round(float(np.mean(values)), 4), "ci95_low": round(low, 4), "ci95_high": round(high, 4), "n": len(values)}


# --- the conversation's filters ------------------------------------------------------------------
def filter_attributes() -> list[Attribute]:
    """Registry attributes a customer's words turn into hard filters (see the module docstring)."""
    return [a for a in REGISTRY if a.filterable and a.kind == "value" and a.field is not None and (a.entity or a.read_from_text)]


def dialogue_filters(text: str, lookup: Lookup) -> Filters | None:
    """The filters the conversation would apply for ``text`` (None when its words name no catalog value).

    ``lookup(attribute, phrase)`` gives the catalog values a phrase means (the retriever's vocabulary).
    """
    words = words_of(text)
    claimed: set[int] = set()
    include: dict[str, list[str]] = {}
    for spec in filter_attributes():
        for size in (3, 2, 1):
            for start in range(len(words) - size + 1):
                span = range(start, start + size)
                if any(i in claimed or words[i] in STOPWORDS for i in span):
                    continue
                phrase = " ".join(words[start:start + size])
                target, values = spec, lookup(spec.name, phrase)
                if not values and spec.broader:
                    target, values = attribute(spec.broader), lookup(spec.broader, phrase)
                if values:
                    include[target.name] = list(dict.fromkeys([*include.get(target.name, []), *values]))
                    claimed.update(span)
    return Filters(include=include) if include else None


def vocabulary_lookup(retriever: Any) -> Lookup:
    """The retriever's ``canonical_values`` for phrases that are a catalog value or a synonym-table word (no close spellings)."""
    vocabulary = retriever.vocabulary

    def lookup(name: str, phrase: str) -> list[str]:
        key = fold(phrase)
        if key not in vocabulary.folded.get(name, {}) and key not in vocabulary.synonyms.get(name, {}):
            return []
        return list(vocabulary.canonical_values(name, phrase, nearest=False))

    return lookup


# --- running the rankings ------------------------------------------------------------------------
@dataclass
class Query:
    """A query text, the product ids that are relevant to it, and the filters the conversation would apply."""

    text: str
    relevant: frozenset[str]
    filters: Filters | None = None
    kind: str = ""


def rank_all(retriever: Any, queries: Sequence[Query], metrics: Mapping[str, Callable[..., float]],
             boost: float) -> tuple[dict[str, dict[str, dict[str, list[float]]]], dict[str, list[float]]]:
    """Per method, per mode ("plain", "filtered"), per metric: the score of every query; and search times of the shipped search."""
    scores: dict[str, dict[str, dict[str, list[float]]]] = {}
    times: dict[str, list[float]] = {"plain": [], "filtered": []}
    saved = retriever.boost
    try:
        for name, (method, boosted) in METHODS.items():
            retriever.boost = boost if boosted else 0.0
            scores[name] = {mode: {m: [] for m in metrics} for mode in ("plain", "filtered")}
            for query in queries:
                for mode, filters in (("plain", None), ("filtered", query.filters)):
                    start = time.perf_counter()
                    ranked = [h.product.id for h in retriever.search(query.text, filters, top_k=K, method=method)]
                    if name == "blend_boost":
                        times[mode].append(time.perf_counter() - start)
                    for metric, fn in metrics.items():
                        scores[name][mode][metric].append(fn(ranked, query.relevant))
            print(f"  {name}: " + ", ".join(f"{mode} {m} {np.mean(v):.3f}" for mode, per in scores[name].items() for m, v in per.items()),
                  flush=True)
    finally:
        retriever.boost = saved
    return scores, times


def report(scores: dict[str, dict[str, dict[str, list[float]]]], queries: Sequence[Query]) -> dict[str, Any]:
    """Summaries per method (plain at the top level, ``filtered`` below) and the paired gains that matter."""
    out: dict[str, Any] = {}
    for name, modes in scores.items():
        out[name] = {metric: summary(values) for metric, values in modes["plain"].items()}
        out[name]["filtered"] = {metric: summary(values) for metric, values in modes["filtered"].items()}
        kinds = sorted({q.kind for q in queries if q.kind})
        for kind in kinds if len(kinds) > 1 else ():
            idx = [i for i, q in enumerate(queries) if q.kind == kind]
            out[name][f"by_kind_{kind}"] = {mode: {m: summary([v[i] for i in idx]) for m, v in per.items()} for mode, per in modes.items()}
    gains: dict[str, Any] = {}
    for label, better, worse in (("boost_over_blend", "blend_boost", "blend"), ("blend_over_semantic", "blend", "semantic"),
                                 ("blend_over_lexical", "blend", "lexical"), ("filters_on_blend", "blend", "blend")):
        gains[label] = {}
        for metric in scores[better]["plain"]:
            if label == "filters_on_blend":
                diff = np.subtract(scores[better]["filtered"][metric], scores[worse]["plain"][metric])
                gains[label][metric] = summary(diff.tolist())
            else:
                gains[label][metric] = summary(np.subtract(scores[better]["plain"][metric], scores[worse]["plain"][metric]).tolist())
                diff = np.subtract(scores[better]["filtered"][metric], scores[worse]["filtered"][metric])
                gains[label][f"filtered_{metric}"] = summary(diff.tolist())
    out["paired_gains"] = gains
    return out


def pct(times: Sequence[float], q: float) -> float:
    """Percentile of durations in milliseconds."""
    return round(float(np.percentile(np.asarray(times) * 1000, q)), 2) if len(times) else float("nan")


def filter_diagnostics(retriever: Any, queries: Sequence[Query]) -> dict[str, Any]:
    """How often the rule found a filter, how narrow it was, and how often it ruled out every relevant product."""
    with_filter = [q for q in queries if q.filters is not None]
    position = retriever.table.position_of
    excluded, selectivity = [], []
    excluded_by: dict[str, int] = {}
    for query in with_filter:
        mask = retriever.table.mask(query.filters)
        rows = [position[pid] for pid in query.relevant if pid in position]
        excluded.append(mask is not None and not mask[rows].any())
        selectivity.append(retriever.table.selectivity(mask))
        for name, values in (query.filters.include if query.filters else {}).items():
            alone = retriever.table.mask(Filters(include={name: values}))
            if alone is not None and not alone[rows].any():
                excluded_by[name] = excluded_by.get(name, 0) + 1
    by_attribute: dict[str, int] = {}
    for query in with_filter:
        for name in query.filters.include if query.filters else ():
            by_attribute[name] = by_attribute.get(name, 0) + 1
    return {
        "with_filter_share": round(len(with_filter) / max(len(queries), 1), 4),
        "filter_excludes_item": summary([float(x) for x in excluded]) if excluded else None,
        "median_selectivity": round(float(np.median(selectivity)), 4) if selectivity else None,
        "queries_filtering_on": dict(sorted(by_attribute.items())),
        "excluded_by": dict(sorted(excluded_by.items())),
    }


# --- the two label sets --------------------------------------------------------------------------
def known_item_queries(retriever: Any, items: Sequence[KnownItem]) -> list[Query]:
    """Queries of known items, with the conversation's filters for their words."""
    lookup = vocabulary_lookup(retriever)
    return [Query(text=item.query, relevant=item.equivalents, filters=dialogue_filters(item.query, lookup)) for item in items]


def category_queries(products: Sequence[Any], *, min_products: int = 5, cap: int = 400, seed: int = 0) -> list[Query]:
    """Flipkart category queries: every leaf name, and every leaf with its parent, under at least ``min_products`` products.

    A leaf is the last level of a product's category path. The query is the lower-cased name ("sports
    shoes", "men's footwear sports shoes"); a product is relevant when its path holds those levels in a
    row, at any depth (``"Shorts"`` is relevant to every shorts branch). ``cap`` queries of each kind at
    most, drawn with ``seed``.
    """
    paths = [(p.id, tuple(level.strip().lower() for level in (p.category or "").split(" > ") if level.strip())) for p in products]
    under: dict[tuple[str, ...], set[str]] = {}
    for pid, levels in paths:
        for size in (1, 2):
            for end in range(size, len(levels) + 1):
                under.setdefault(levels[end - size:end], set()).add(pid)
    leaves = {levels[-size:] for _, levels in paths for size in (1, 2) if len(levels) >= size}
    queries = []
    rng = np.random.default_rng(seed)
    for kind, size in (("leaf", 1), ("two_levels", 2)):
        names = sorted(leaf for leaf in leaves if len(leaf) == size and len(under[leaf]) >= min_products)
        if len(names) > cap:
            names = [names[i] for i in sorted(rng.choice(len(names), size=cap, replace=False).tolist())]
        queries += [Query(text=" ".join(leaf), relevant=frozenset(under[leaf]), kind=kind) for leaf in names]
    return queries
