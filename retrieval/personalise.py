"""Personalised search: the retriever's candidates re-ranked by the customer's stored reactions.

This is the one place where the feedback loop closes: actions call ``PersonalisedSearch.search``
instead of ``Retriever.search``; it hides products the customer turned down in this conversation,
widens the candidate pool toward liked products and re-ranks (``retrieval.rerank``).
With ``enabled=False`` reactions are still recorded but do not change results (the baseline of
the simulated-customer benchmark).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from retrieval.feedback import FeedbackStore, Reaction, StoredReaction, hidden_products
from retrieval.rerank import Profile, RerankWeights, build_profile, rerank
from retrieval.search import Retriever
from retrieval.types import Filters, Hit

MIN_POOL = 40


@dataclass
class CustomerContext:
    """Who is searching, and in which conversation."""

    customer_id: str
    conversation_id: str
    turn: int = 0


@dataclass
class PersonalisedSearch:
    """Retriever + feedback store + re-ranker."""

    retriever: Retriever
    store: FeedbackStore
    enabled: bool = True
    weights: RerankWeights = field(default_factory=RerankWeights)

    def record(self, context: CustomerContext, kind: Reaction, product_id: str, *, query: str = "", constraints: dict | None = None) -> None:
        """Store a reaction of the customer."""
        self.store.record(customer_id=context.customer_id, conversation_id=context.conversation_id, turn=context.turn,
                          kind=kind, product_id=product_id, query=query, constraints=constraints)

    def profile(self, context: CustomerContext, reactions: list[StoredReaction] | None = None) -> Profile:
        """The customer's learned preferences (session + decayed long-term)."""
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
        profile = self.profile(context, reactions)
        if profile.is_empty:
            return self.retriever.search(query, filters=filters, top_k=top_k, offset=offset)
        pool = max(MIN_POOL, 3 * (offset + top_k))
        hits = self.retriever.search(query, filters=filters, top_k=pool)
        extra = self.retriever.search_by_vector(profile.liked_vector, filters, top_k=pool // 2) if profile.liked_vector is not None else []
        ranked = rerank(hits, profile, self.retriever.embedding, weights=self.weights, extra=extra)
        return ranked[offset:offset + top_k]

    def similar(self, product_id: str, filters: Filters, *, context: CustomerContext, top_k: int, offset: int = 0) -> list[Hit]:
        """Products most like ``product_id``, without those the customer turned down in this conversation."""
        hidden = hidden_products(self.store.history(customer_id=context.customer_id), context.conversation_id) if self.enabled else []
        return self.retriever.similar(product_id, filters.excluding_ids(hidden), top_k=offset + top_k)[offset:]
