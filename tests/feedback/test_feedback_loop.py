"""Each reaction moves the ranking the expected way; preferences persist; "forget me" forgets.

Runs on the real integration catalog (real MiniLM embeddings, real FAISS index) with a fresh feedback
store per test: SQLite, or PostgreSQL when ``SHOP_TEST_DATABASE=postgres``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from retrieval import Filters, Retriever
from retrieval.feedback import FeedbackStore, Reaction
from retrieval.personalise import CustomerContext, PersonalisedSearch
from retrieval.store import make_engine, migrate
from shop.settings import Settings

QUERY, FILTERS = "tshirts", Filters.where(product_type=["Tshirts"])


@pytest.fixture(scope="module")
def retriever(catalog_settings: Settings) -> Retriever:
    return Retriever.open(catalog_settings)


@pytest.fixture
def personalised(retriever: Retriever, scratch_database_url: str) -> Iterator[PersonalisedSearch]:
    engine = make_engine(scratch_database_url)  # SQLite, or PostgreSQL with SHOP_TEST_DATABASE=postgres
    migrate(engine)
    yield PersonalisedSearch(retriever=retriever, store=FeedbackStore(engine))
    engine.dispose()


def ranks(search: PersonalisedSearch, context: CustomerContext, top_k: int = 40) -> list[str]:
    return [hit.product.id for hit in search.search(QUERY, FILTERS, context=context, top_k=top_k)]


def brand_share(search: PersonalisedSearch, context: CustomerContext, brand: str, top_k: int = 10) -> float:
    hits = search.search(QUERY, FILTERS, context=context, top_k=top_k)
    return sum(hit.product.brand == brand for hit in hits) / len(hits)


def pick_lower_ranked(search: PersonalisedSearch, context: CustomerContext) -> tuple[str, str]:
    """A product ranked 15-40 with a brand that is rare in the top 10 (room to move up)."""
    ids = ranks(search, context)
    top_brands = [p.brand for p in search.retriever.get_many(ids[:10])]
    for product in search.retriever.get_many(ids[15:]):
        if product.brand and top_brands.count(product.brand) <= 1:
            return product.id, product.brand
    pytest.fail("catalog too small for the ranking test")


def test_like_lifts_the_liked_brand_and_similar_products(personalised: PersonalisedSearch) -> None:
    context = CustomerContext("alice", "alice:1")
    product_id, brand = pick_lower_ranked(personalised, context)
    before = brand_share(personalised, context, brand)
    personalised.record(context, Reaction.LIKE, product_id)
    personalised.record(context, Reaction.ADD_TO_CART, product_id)
    after = brand_share(personalised, context, brand)
    assert after > before, (before, after)
    assert ranks(personalised, context).index(product_id) < 10


def test_dislike_hides_the_product_and_pushes_its_brand_down(personalised: PersonalisedSearch) -> None:
    context = CustomerContext("bob", "bob:1")
    top = personalised.retriever.get_many(ranks(personalised, context)[:10])
    brand = max({p.brand for p in top if p.brand}, key=lambda b: sum(p.brand == b for p in top))
    before = brand_share(personalised, context, brand)
    for product in [p for p in top if p.brand == brand][:2]:
        personalised.record(context, Reaction.DISLIKE, product.id)
    after_ids = ranks(personalised, context, top_k=10)
    disliked = [p.id for p in top if p.brand == brand][:2]
    assert not set(disliked) & set(after_ids), "a turned-down product never reappears in the session"
    assert brand_share(personalised, context, brand) < before


def test_reject_then_like_brings_a_product_back(personalised: PersonalisedSearch) -> None:
    context = CustomerContext("carol", "carol:1")
    first = ranks(personalised, context)[0]
    personalised.record(context, Reaction.REJECT, first)
    assert first not in ranks(personalised, context)
    personalised.record(context, Reaction.LIKE, first)
    assert first in ranks(personalised, context)


def test_more_like_this_and_select_are_positive_signals(personalised: PersonalisedSearch) -> None:
    context = CustomerContext("dave", "dave:1")
    product_id, brand = pick_lower_ranked(personalised, context)
    before = ranks(personalised, context).index(product_id)
    personalised.record(context, Reaction.MORE_LIKE_THIS, product_id)
    personalised.record(context, Reaction.SELECT, product_id)
    assert ranks(personalised, context).index(product_id) < before


def test_long_term_preferences_apply_in_a_new_session_with_decay(personalised: PersonalisedSearch) -> None:
    old = CustomerContext("erin", "erin:1")
    product_id, brand = pick_lower_ranked(personalised, old)
    baseline = brand_share(personalised, CustomerContext("someone-else", "x:1"), brand)
    for _ in range(3):
        personalised.record(old, Reaction.LIKE, product_id)
    new_session = CustomerContext("erin", "erin:2")
    assert brand_share(personalised, new_session, brand) > baseline
    # a rejection from an old session does not hide the product any more ...
    personalised.record(old, Reaction.REJECT, ranks(personalised, new_session)[0])
    assert len(ranks(personalised, new_session, top_k=10)) == 10
    # ... and other customers are not affected at all
    assert brand_share(personalised, CustomerContext("frank", "frank:1"), brand) == baseline


def test_old_reactions_weigh_less_than_recent_ones(personalised: PersonalisedSearch) -> None:
    store = personalised.store
    now = datetime.now(UTC)
    product_id, _ = pick_lower_ranked(personalised, CustomerContext("gina", "gina:0"))
    store.record(customer_id="gina", conversation_id="gina:old", kind=Reaction.LIKE, product_id=product_id, at=now - timedelta(days=60))
    store.record(customer_id="hank", conversation_id="hank:old", kind=Reaction.LIKE, product_id=product_id, at=now - timedelta(days=1))
    old_profile = personalised.profile(CustomerContext("gina", "gina:new"))
    recent_profile = personalised.profile(CustomerContext("hank", "hank:new"))
    brand = personalised.retriever.get(product_id).brand  # type: ignore[union-attr]
    assert 0 < old_profile.attribute_weights[("brand", brand)] < recent_profile.attribute_weights[("brand", brand)]


def test_forget_me_deletes_every_row_of_that_customer_only(personalised: PersonalisedSearch) -> None:
    store = personalised.store
    for customer in ("ivy", "jack"):
        for kind in Reaction:
            store.record(customer_id=customer, conversation_id=f"{customer}:1", kind=kind, product_id="123")
    assert store.count(customer_id="ivy") == len(Reaction)
    assert store.forget_customer(customer_id="ivy") == len(Reaction)
    assert store.count(customer_id="ivy") == 0 and store.history(customer_id="ivy") == []
    assert store.count(customer_id="jack") == len(Reaction)


def test_retention_period_ignores_and_purges_old_rows(personalised: PersonalisedSearch) -> None:
    store = FeedbackStore(personalised.store.engine, retention_days=30)
    now = datetime.now(UTC)
    store.record(customer_id="kim", conversation_id="kim:1", kind=Reaction.LIKE, product_id="1", at=now - timedelta(days=45))
    store.record(customer_id="kim", conversation_id="kim:2", kind=Reaction.LIKE, product_id="2", at=now - timedelta(days=5))
    assert [r.product_id for r in store.history(customer_id="kim")] == ["2"]
    assert store.purge_expired() == 1 and store.count(customer_id="kim") == 1


def test_disabled_reranking_records_but_does_not_change_results(personalised: PersonalisedSearch) -> None:
    baseline = PersonalisedSearch(retriever=personalised.retriever, store=personalised.store, enabled=False)
    context = CustomerContext("lee", "lee:1")
    before = ranks(baseline, context)
    baseline.record(context, Reaction.DISLIKE, before[0])
    assert ranks(baseline, context) == before and baseline.store.count(customer_id="lee") == 1
