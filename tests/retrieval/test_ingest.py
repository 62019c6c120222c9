"""Ingestion into SQLite and PostgreSQL: counts, incremental updates, index/database consistency."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import create_engine, text

from retrieval.catalog import product_text
from retrieval.errors import IndexMismatchError, IndexMissingError, StoreUnavailableError
from retrieval.ingest import index_dir, ingest
from retrieval.search import Retriever
from retrieval.store import MIGRATIONS_DIR

REPO = Path(__file__).resolve().parents[2]
FIXTURE_CATALOG = REPO / "tests" / "fixtures" / "tiny_catalog.csv"
DEMO_MAPPING = REPO / "retrieval" / "mappings" / "demo.yml"

pytestmark = pytest.mark.postgres


def _catalog_variant(tmp_path: Path) -> Path:
    """The fixture catalog with one product added, one changed (colour) and one removed."""
    lines = FIXTURE_CATALOG.read_text(encoding="utf-8").splitlines()
    out = []
    for line in lines:
        if line.startswith("1016,"):  # removed: the brown handbag
            continue
        if line.startswith("1005,"):  # changed: black -> red casual shoes
            line = line.replace("Black Casual Shoes,Men", "Red Casual Shoes,Men").replace(",Black,Fall", ",Red,Fall")
        out.append(line)
    out.append("1040,Nike Men Green Running Sports Shoes,Men,Footwear,Shoes,Sports Shoes,Green,Summer,2014,Sports,Nike,99.99,USD,9|10")
    variant = tmp_path / "catalog_v2.csv"
    variant.write_text("\n".join(out) + "\n", encoding="utf-8")
    return variant


def _migration_head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return str(ScriptDirectory.from_config(config).get_current_head())


def test_ingest_counts_and_store(database_url: str, make_settings, encoder) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(database_url=database_url)
    report = ingest(settings, encoder=encoder)
    assert (report.ingested, report.added, len(report.skipped), report.reindexed) == (26, 26, 5, True)
    assert "26 items ingested" in report.summary() and "line 12" in report.summary()
    engine = create_engine(database_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM products WHERE catalog = 'demo'")).scalar() == 26
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == _migration_head()
    engine.dispose()
    manifest = json.loads((index_dir(settings, "demo") / "manifest.json").read_text())
    assert (manifest["count"], manifest["dim"], manifest["kind"]) == (26, 384, "flat")


def test_reingest_same_file_changes_nothing(database_url: str, make_settings, encoder) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(database_url=database_url)
    ingest(settings, encoder=encoder)
    again = ingest(settings, encoder=encoder)
    assert (again.added, again.changed, again.removed, again.unchanged, again.reindexed) == (0, 0, 0, 26, False)


def test_incremental_add_change_remove(database_url: str, make_settings, encoder, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(database_url=database_url)
    ingest(settings, encoder=encoder)
    before = Retriever.open(settings, query_encoder=encoder)
    untouched = before.embedding("1001")
    report = ingest(settings, catalog_path=_catalog_variant(tmp_path), encoder=encoder)
    assert (report.added, report.changed, report.removed, report.reindexed) == (1, 1, 1, False)
    after = Retriever.open(settings, query_encoder=encoder)
    assert after.get("1016") is None and after.embedding("1016") is None
    assert after.get("1005").colour == "Red"  # type: ignore[union-attr]
    assert after.get("1040") is not None
    assert after.index.ntotal == 26
    np.testing.assert_allclose(after.embedding("1001"), untouched, atol=1e-6)
    expected = encoder.encode([product_text({"title": "Nike Men Green Running Sports Shoes", "product_type": "Sports Shoes",
                                             "colour": "Green", "gender": "Men", "usage": "Sports"})])[0]
    np.testing.assert_allclose(after.embedding("1040"), expected, atol=1e-4)
    assert after.search("green running shoes", top_k=1)[0].product.id == "1040"


def test_index_database_mismatch_is_detected(database_url: str, make_settings, encoder) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(database_url=database_url)
    ingest(settings, encoder=encoder)
    engine = create_engine(database_url)
    with engine.begin() as conn:  # the database changes behind the index's back
        conn.execute(text("UPDATE products SET content_hash = 'x' WHERE product_id = '1001'"))
    engine.dispose()
    with pytest.raises(IndexMismatchError, match="python -m retrieval reindex"):
        Retriever.open(settings, query_encoder=encoder)


def test_missing_index_and_reindex(database_url: str, make_settings, encoder) -> None:  # type: ignore[no-untyped-def]
    from retrieval.ingest import build_index

    settings = make_settings(database_url=database_url)
    ingest(settings, encoder=encoder)
    (index_dir(settings, "demo") / "index.faiss").unlink()
    with pytest.raises(IndexMissingError, match="reindex"):
        Retriever.open(settings, query_encoder=encoder)
    assert build_index(settings, catalog="demo", encoder=encoder) == 26
    assert Retriever.open(settings, query_encoder=encoder).search("red dress", top_k=1)


def test_unwritable_database_is_a_clear_error(make_settings, encoder) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(database_url="sqlite:////dev/null/shop.db")
    with pytest.raises(StoreUnavailableError, match="SHOP_VAR_DIR or SHOP_DATABASE_URL"):
        ingest(settings, encoder=encoder)


def test_unreachable_postgres_is_a_clear_error(make_settings, encoder) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(database_url="postgresql+psycopg://postgres@127.0.0.1:1/nothing")
    with pytest.raises(StoreUnavailableError, match="reachable"):
        ingest(settings, encoder=encoder)


def test_open_before_ingest_says_what_to_run(make_settings, encoder) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(IndexMissingError, match="python -m retrieval ingest"):
        Retriever.open(make_settings(), query_encoder=encoder)


def test_onnx_ingest_and_query_encoders(make_settings, encoder) -> None:  # type: ignore[no-untyped-def]
    """The production path: ONNX export for catalog and query vectors, no injected encoder."""
    settings = make_settings(query_encoder="onnx-int8", ingest_backend="onnx")
    assert ingest(settings).ingested == 26
    title = "Nike Men Black Running Sports Shoes"
    torch_vector = encoder.encode([title])[0]
    for variant, agreement in (("onnx-int8", 0.95), ("onnx-fp32", 0.999)):
        retriever = Retriever.open(settings.model_copy(update={"query_encoder": variant}))
        top = retriever.search("black running shoes for men", top_k=1)[0].product
        assert (top.product_type, top.colour, top.gender) == ("Sports Shoes", "Black", "Men")
        assert float(torch_vector @ retriever.query_encoder.encode_query(title)) > agreement
        np.testing.assert_allclose(retriever.embedding("1001"), torch_vector, atol=1e-4)  # fp32 export = torch vectors
