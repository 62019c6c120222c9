"""A re-ingested catalog reaches running action servers without a restart and without a failed turn.

Two levels: the watcher in this process over the tiny fixture catalog (it waits while the database
is ahead of the index, then swaps), and the real action server over its own scratch store while a
customer chats without pause and the catalog file is changed and re-ingested.
"""

from __future__ import annotations

import csv
import logging
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import actions.services as services_module
from actions.catalog import department_buttons
from actions.services import CatalogWatcher, build_services, describe_change
from benchmarks.hot_update_benchmark import (
    NEW_BRAND,
    ActionClient,
    HotUpdate,
    answer_text,
    cards,
    entity,
    removed_answers,
    run_hot_update,
)
from shop.settings import Settings
from tests.conftest import DEMO_MAPPING, write_catalog_subset

REPO = Path(__file__).resolve().parents[2]
TINY_CATALOG = REPO / "tests" / "fixtures" / "tiny_catalog.csv"
VISIBLE_WITHIN = 30.0  # seconds from the end of the ingestion: the watcher looks every 2 s, a reload takes a few s on 2 busy cores


def without_first_product(source: Path, target: Path) -> str:
    """Write ``source`` without its first product; return that product's id."""
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows[1:])
    return rows[0]["id"]


def test_the_watcher_waits_for_the_index_then_swaps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    from retrieval.ingest import build_index, ingest, load_encoder
    from retrieval.store import catalog_rows, delete_products, make_engine, session_scope

    settings = Settings(var_dir=tmp_path / "var", catalog_path=TINY_CATALOG, catalog_mapping=DEMO_MAPPING,
                        query_encoder="torch", ingest_backend="torch", catalog_refresh_seconds=1)
    encoder = load_encoder(settings)
    ingest(settings, encoder=encoder)
    before = build_services(settings)
    monkeypatch.setattr(services_module, "_services", before)
    watcher = CatalogWatcher(before)
    assert not watcher.check(), "nothing changed yet"

    removed = without_first_product(TINY_CATALOG, tmp_path / "smaller.csv")
    engine = make_engine(settings.resolved_database_url)
    with session_scope(engine) as session:  # the database alone moves ahead, as half-way through an ingestion
        row_id = next(r.row_id for r in catalog_rows(session, catalog="demo") if r.product_id == removed)
        delete_products(session, row_ids=[row_id])
    assert not watcher.check(), "the index does not describe the database yet: keep the old catalog"
    assert services_module._services is before and before.retriever.get(removed) is not None

    build_index(settings, catalog="demo", encoder=encoder)  # the index (and its manifest, last) catches up
    department_buttons(before.retriever)
    assert department_buttons.cache_info().currsize == 1
    with caplog.at_level(logging.INFO, logger="actions.services"):
        assert watcher.check()
    after = services_module._services
    assert after is not before and after.retriever.get(removed) is None
    assert after.retriever.query_encoder is before.retriever.query_encoder, "a reload must not load the model again"
    assert after.personalised.retriever is after.retriever and after.coverage.retriever is after.retriever
    assert before.retriever.get(removed) is not None, "a turn in flight keeps the catalog it started with"
    assert f"catalog demo reloaded: {len(after.retriever.snapshot.products)} products (+0 -1 ~0)" in caplog.text
    assert not watcher.check(), "the same index is not loaded twice"
    assert department_buttons.cache_info().currsize == 0, "answers cached per catalog must not keep the old one alive"


def test_describe_change_counts_added_removed_and_changed() -> None:
    from retrieval.snapshot import Snapshot
    from retrieval.types import Product

    def snapshot(*products: Product) -> Snapshot:
        import numpy as np

        return Snapshot(catalog="demo", products=list(products), row_ids=np.arange(len(products)), fingerprint="")

    old = snapshot(Product(id="1", title="a"), Product(id="2", title="b", price=1.0), Product(id="3", title="c"))
    new = snapshot(Product(id="2", title="b", price=2.0), Product(id="3", title="c"), Product(id="4", title="d"), Product(id="5", title="e"))
    assert describe_change(old, new) == "+2 -1 ~1"


# --- the real action server -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def hot_store() -> Iterator[Settings]:
    """A store of its own (a tenth of the demo catalog): the test changes it, the session's catalog stays as it is.

    Outside pytest's numbered folders, which a concurrent pytest session may prune while the server still writes there.
    """
    from retrieval.ingest import ingest
    from shop.ops.stack import free_port

    var_dir = Path(tempfile.mkdtemp(prefix="shop-hot-update-"))
    try:
        settings = Settings(var_dir=var_dir, catalog_path=write_catalog_subset(var_dir / "catalog.csv", every=10),
                            catalog_mapping=DEMO_MAPPING, action_port=free_port(), catalog_refresh_seconds=2)
        assert ingest(settings).ingested > 500
        yield settings
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def hot_server(hot_store: Settings) -> Iterator[tuple[str, Path]]:
    """The real action server over that store: its webhook URL and its log."""
    from shop.ops.stack import base_env, start_action_server

    server = start_action_server(hot_store, base_env(hot_store, {"SHOP_CATALOG_REFRESH_SECONDS": "2"}))
    try:
        server.wait_ready(240)
        yield f"http://127.0.0.1:{hot_store.action_port}/webhook", server.log_path
    finally:
        server.stop()


@pytest.fixture(scope="module")
def hot_update(hot_store: Settings, hot_server: tuple[str, Path]) -> HotUpdate:
    """A customer chats while the catalog is changed and re-ingested; the chat goes on until the new products show."""
    return run_hot_update(hot_store, hot_server[0], after=4.0)


@pytest.mark.slow
def test_no_turn_fails_and_new_products_show_within_seconds(hot_update: HotUpdate, hot_server: tuple[str, Path]) -> None:
    log = hot_update.log
    print(f"{log.turns} turns; new products visible {hot_update.seconds_to_visible} s after the ingestion "
          f"({hot_update.ingest_summary})")
    assert log.turns >= 20, "the customer must have chatted through the update"
    assert not log.failures, f"failed turns: {log.failures}"
    server_log = hot_server[1].read_text(errors="replace")
    assert hot_update.seconds_to_visible is not None, f"no {NEW_BRAND} product found after the update:\n{server_log[-3000:]}"
    assert hot_update.seconds_to_visible <= VISIBLE_WITHIN
    assert "catalog demo reloaded:" in server_log and "(+3 -1 ~1)" in server_log
    assert "BUG" not in server_log


@pytest.mark.slow
def test_every_reference_to_the_removed_product_says_it_is_gone(hot_update: HotUpdate) -> None:
    answers = removed_answers(hot_update.screen, hot_update.change)
    wrong = {name: text for name, text in answers.items() if "no longer available" not in text}
    assert not wrong, wrong
    assert all("Added" not in text and "Glad you like" not in text for text in answers.values())


@pytest.mark.slow
def test_products_still_on_screen_answer_with_their_current_data(hot_update: HotUpdate) -> None:
    change = hot_update.change
    conversation = hot_update.screen.fork()
    selected = answer_text(conversation.turn(("action_select_product", "the third one", "select_item", [entity("ordinal", "3")])))
    assert change.new_title in selected and f"{change.new_price:.2f}" in selected
    added = conversation.turn(("action_add_to_cart", "add it to my cart", "add_to_cart", []))
    assert change.new_title in answer_text(added)
    assert next(r["custom"] for r in added["responses"] if r.get("custom"))["price"] == pytest.approx(change.new_price)
    first = answer_text(hot_update.screen.fork().turn(("action_select_product", "the first one", "select_item", [entity("ordinal", "1")])))
    assert "no longer available" not in first, "positions still count as the customer sees them"


@pytest.mark.slow
def test_similar_products_of_a_removed_product_end_politely(hot_update: HotUpdate) -> None:
    """Paging "more like" a product that has left the catalog since."""
    conversation = ActionClient(hot_update.screen.url)
    shown = cards(conversation.turn(("action_search_products", "tshirts for men", "search_product",
                                     [entity("product_type", "tshirts"), entity("gender", "men")])))
    assert shown and hot_update.change.removed not in {c["id"] for c in shown}, "a removed product is never shown again"
    state = dict(conversation.slots["search_state"])
    conversation.slots["search_state"] = state | {"view": "similar", "anchor": hot_update.change.removed, "searched": True}
    more = answer_text(conversation.turn(("action_show_more", "show more", "show_more", [])))
    assert "no longer available" in more
