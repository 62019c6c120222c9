"""Personalised search: results chosen by what the customer's reactions say about the product they want.

This is the one place where the feedback loop closes: actions call ``PersonalisedSearch.search``
instead of ``Retriever.search``. Without reactions it is the plain hybrid search. With reactions:

1. Products the customer turned down in this conversation are hidden.
2. Every product the filters allow is a candidate (a broad request over a large catalog keeps the
   ``MAX_CANDIDATES`` nearest the query and the liked products), not just the top of the text
   query: a product type alone can hold over a thousand products.
3. The reactions become a belief over the candidates (``retrieval.target``): which one explains
   them best, with the query relevance as the prior and earlier conversations' reactions decayed
   (``retrieval.rerank``).
4. When this conversation has reactions, each page is chosen to hold likely targets whose reactions
   will also split the likely ones best; with only earlier sessions' reactions, the most likely
   products come first.

With ``enabled=False`` reactions are still recorded but change nothing (the baseline of the
simulated-customer benchmark).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from retrieval.feedback import FeedbackStore, Reaction, StoredReaction, hidden_products
from retrieval.rerank import Profile, RerankWeights, build_profile, preference_reasons, reaction_strengths
from retrieval.search import Retriever
from retrieval.target import Features, belief, choose_page
from retrieval.types import Filters, Hit

MAX_CANDIDATES = 5000
"""Most candidate targets a turn weighs; the demo's broadest filter (no filter at all) holds 8,214."""
RELEVANCE_POOL = 40
"""Hybrid-search hits that carry a relevance prior (1 for the first, falling to 0 at the last)."""
MAX_PAGE = 10
"""Largest block of cards chosen together; longer lists are built block by block."""

_blas: Any = None


def single_threaded_blas() -> Any:
    """A context in which numpy's BLAS runs on one thread.

    The learner multiplies a few small matrices per turn; OpenBLAS spreading each over every core
    of a busy machine made them about 100x slower (48 ms instead of 0.5 ms on the 2-core machine).
    """
    global _blas
    if _blas is None:
        from threadpoolctl import ThreadpoolController

        _blas = ThreadpoolController()
    return _blas.limit(limits=1, user_api="blas")


@dataclass
class CustomerContext:
    """Who is searching, and in which conversation."""

    customer_id: str
    conversation_id: str
    turn: int = 0


@dataclass
class PersonalisedSearch:
    """Retriever + feedback store + target search."""

    retriever: Retriever
    store: FeedbackStore
    enabled: bool = True
    weights: RerankWeights = field(default_factory=RerankWeights)

    def record(self, context: CustomerContext, kind: Reaction, product_id: str, *, query: str = "", constraints: dict | None = None) -> None:
        """Store a reaction of the customer."""
        self.store.record(customer_id=context.customer_id, conversation_id=context.conversation_id, turn=context.turn,
                          kind=kind, product_id=product_id, query=query, constraints=constraints)

    def profile(self, context: CustomerContext, reactions: list[StoredReaction] | None = None) -> Profile:
        """The customer's learned preferences (session + decayed long-term), for explanations."""
        reactions = self.store.history(customer_id=context.customer_id) if reactions is None else reactions
        products = {p.id: p for p in self.retriever.get_many(sorted({r.product_id for r in reactions}))}
        return build_profile(reactions, products, self.retriever.embedding, conversation_id=context.conversation_id,
                             weights=self.weights, now=datetime.now(UTC))

    def search(self, query: str, filters: Filters, *, context: CustomerContext, top_k: int, offset: int = 0) -> list[Hit]:
        """One page of results for this customer."""
        reactions = self.store.history(customer_id=context.customer_id)
        hidden = hidden_products(reactions, context.conversation_id) if self.enabled else []
        filters = filters.excluding_ids(hidden)
        if not self.enabled or not reactions:
            return self.retriever.search(query, filters=filters, top_k=top_k, offset=offset)
        strengths = reaction_strengths(reactions, context.conversation_id, datetime.now(UTC), self.weights)
        evidence = {pid: value for pid, value in strengths.items() if pid in self.retriever.table.position_of}
        if not evidence:
            return self.retriever.search(query, filters=filters, top_k=top_k, offset=offset)
        curious = any(r.conversation_id == context.conversation_id for r in reactions)
        with single_threaded_blas():
            hits = self._ranked(query, filters, evidence, curious=curious, block=min(top_k, MAX_PAGE), count=offset + top_k)[offset:]
        profile = self.profile(context, reactions)
        return [Hit(product=h.product, score=h.score,
                    reasons=[*h.reasons, *preference_reasons(h.product, profile, self.retriever.embedding(h.product.id))])
                for h in hits]

    def similar(self, product_id: str, filters: Filters, *, context: CustomerContext, top_k: int, offset: int = 0) -> list[Hit]:
        """Products most like ``product_id``, without those the customer turned down in this conversation."""
        hidden = hidden_products(self.store.history(customer_id=context.customer_id), context.conversation_id) if self.enabled else []
        return self.retriever.similar(product_id, filters.excluding_ids(hidden), top_k=offset + top_k)[offset:]

    # --- the target search -------------------------------------------------------------------
    def _ranked(self, query: str, filters: Filters, evidence: dict[str, float], *, curious: bool, block: int, count: int) -> list[Hit]:
        """The first ``count`` products for this belief, chosen ``block`` cards at a time."""
        table, weights = self.retriever.table, self.weights.target
        relevant = self.retriever.search(query, filters=filters, top_k=RELEVANCE_POOL)
        reacted = np.asarray([table.position_of[pid] for pid in evidence], dtype=np.int64)
        strengths = np.asarray(list(evidence.values()), dtype=np.float64)
        positions = self._candidates(query, filters, relevant, reacted[strengths > 0])
        if len(positions) == 0:
            return []
        candidates = self._features(positions)
        typical = candidates.vectors @ candidates.vectors.mean(axis=0)
        by_position = {table.position_of[hit.product.id]: hit for hit in relevant}
        prior = np.zeros(len(positions))
        for rank, hit in enumerate(relevant):
            index = int(np.searchsorted(positions, table.position_of[hit.product.id]))
            if index < len(positions) and positions[index] == table.position_of[hit.product.id]:
                prior[index] = 1.0 - rank / len(relevant)
        state = belief(self._features(reacted), strengths, candidates, typical, weights.relevance * prior, weights)
        chosen: list[int] = []
        while len(chosen) < count:
            page = choose_page(state, candidates, typical, min(block, count - len(chosen)), weights,
                               curiosity=weights.curiosity if curious else 0.0, exclude=chosen)
            if not page:
                break
            chosen += page
        products = self.retriever.snapshot.products
        hits = []
        for index in chosen:
            position = int(positions[index])
            found = by_position.get(position)
            hits.append(Hit(product=products[position], score=float(state.log_posterior[index]),
                            reasons=list(found.reasons) if found else []))
        return hits

    def _candidates(self, query: str, filters: Filters, relevant: list[Hit], liked: np.ndarray) -> np.ndarray:
        """Sorted positions of the candidate targets: every allowed product, or the nearest ones when there are too many."""
        table = self.retriever.table
        mask = table.mask(filters)
        positions = np.arange(len(table)) if mask is None else np.flatnonzero(mask)
        if len(positions) <= MAX_CANDIDATES:
            return positions
        vectors = [self.retriever.query_encoder.encode_query(query)]
        if len(liked):
            vectors.append(self.retriever.vectors(liked).mean(axis=0))
        found = {table.position_of[hit.product.id] for hit in relevant}
        for vector in vectors:
            vector = np.asarray(vector, dtype=np.float32)
            _, nearest = self.retriever.nearest(vector / max(float(np.linalg.norm(vector)), 1e-12), MAX_CANDIDATES // len(vectors), filters)
            found.update(int(p) for p in nearest)
        return np.asarray(sorted(found), dtype=np.int64)

    def _features(self, positions: np.ndarray) -> Features:
        table = self.retriever.table
        return Features(np.stack([table.codes[name][positions] for name in table.codes]), self.retriever.vectors(positions))
