"""Each reaction moves the ranking the expected way; preferences persist; "forget me" forgets.

Runs on the real integration catalog (real MiniLM embeddings, real FAISS index) with a fresh feedback
store per test: SQLite, or PostgreSQL when ``SHOP_TEST_DATABASE=postgres``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from retrieval import Filters, Product, Retriever
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


def shares_two(product: Product, target: Product) -> bool:
    """A card-only customer's rule: thumbs up when at least 2 of colour, brand, occasion, gender, season match."""
    return sum(1 for attr in ("colour", "brand", "usage", "gender", "season")
               if getattr(product, attr) and getattr(product, attr) == getattr(target, attr)) >= 2


def pages_until_found(search: PersonalisedSearch, target: Product, customer: str, pages: int = 5) -> int | None:
    """Show 5 new products per page (never one already shown) until the target appears; react with the buttons only."""
    context = CustomerContext(customer, f"{customer}:1")
    filters, shown = Filters.where(product_type=[str(target.product_type)]), []
    for page in range(1, pages + 1):
        cards = [hit.product for hit in search.search(str(target.product_type), filters.excluding_ids(shown), context=context, top_k=5)]
        shown += [p.id for p in cards]
        if target.id in shown:
            return page
        for product in cards:
            search.record(context, Reaction.LIKE if shares_two(product, target) else Reaction.DISLIKE, product.id)
    return None


def test_card_reactions_alone_find_the_wanted_product_sooner(personalised: PersonalisedSearch) -> None:
    """Same exposure in both conditions (5 new products a page); only the re-ranking differs."""
    products = [p for p in personalised.retriever.snapshot.products if p.product_type and p.colour and p.brand and p.gender]
    by_type: dict[str, list[Product]] = {}
    for product in products:
        by_type.setdefault(str(product.product_type), []).append(product)
    rng = random.Random(5)
    kinds = sorted(kind for kind, members in by_type.items() if len(members) >= 40)
    targets = [rng.choice(by_type[rng.choice(kinds)]) for _ in range(30)]
    baseline = PersonalisedSearch(retriever=personalised.retriever, store=personalised.store, enabled=False)
    found = {label: sum(pages_until_found(search, target, f"{label}-{i}") is not None for i, target in enumerate(targets))
             for label, search in (("with", personalised), ("without", baseline))}
    assert found["with"] >= 1.5 * found["without"] > 0, found


def test_a_broad_request_over_many_products_keeps_the_nearest_candidates(personalised: PersonalisedSearch,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import retrieval.personalise

    monkeypatch.setattr(retrieval.personalise, "MAX_CANDIDATES", 200)
    context = CustomerContext("mia", "mia:1")
    first = personalised.search("popular products", Filters(), context=context, top_k=5)
    personalised.record(context, Reaction.LIKE, first[0].product.id)
    personalised.record(context, Reaction.DISLIKE, first[1].product.id)
    hits = personalised.search("popular products", Filters(), context=context, top_k=10)
    assert len(hits) == 10 and first[1].product.id not in {h.product.id for h in hits}
    kinds = {h.product.product_type for h in personalised.search("tshirts", FILTERS, context=context, top_k=10)}
    assert kinds == {"Tshirts"}, "filters still hold for the learner's pages"
