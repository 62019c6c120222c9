"""Whether a catalog carries a requested kind: the request's words, the fitted model, and its transfer to another catalog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrieval.coverage import FEATURES, MODEL_FILE, CatalogCoverage, CoverageModel, content_words, head_word, kind_words, name_head
from retrieval.ingest import ingest
from retrieval.search import Retriever

SHARED = Path(__file__).parents[2].parent / "shared"
IKEA = SHARED / "data" / "catalogs" / "ikea_sa.csv"
MAPPINGS = Path(__file__).parents[2] / "retrieval" / "mappings"


@pytest.mark.parametrize(("text", "kind", "head"), [
    ("do you sell sofas?", ["sofas"], "sofas"),
    ("I'm looking for a wooden coffee table", ["wooden", "coffee", "table"], "table"),
    ("bar stool with backrest", ["bar", "stool"], "stool"),
    ("something for my wife", [], None),
    ("any t-shirts in stock?", ["t-shirts"], "t-shirts"),
    ("have you got men's running shoes", ["men", "running", "shoes"], "shoes"),
])
def test_the_words_naming_the_kind(text: str, kind: list[str], head: str | None) -> None:
    assert kind_words(text) == kind
    assert head_word(text) == head


def test_request_phrasing_and_numbers_are_not_content() -> None:
    assert content_words("Could you show me 2 of your nicest shoes please") == ["nicest", "shoes"]


@pytest.mark.parametrize(("name", "head"), [
    ("Nike Men Blue Running Shoes", "shoe"),
    ("Lakme Absolute Lip Colour - Rose", "colour"),
    ("Bar stool with backrest, 74 cm", "stool"),
    ("", None),
])
def test_a_product_name_is_named_by_its_head_noun(name: str, head: str | None) -> None:
    assert name_head(name) == head


def test_the_shipped_model_says_what_it_was_fitted_on() -> None:
    raw = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    model = CoverageModel.load()
    assert list(raw["features"]) == list(FEATURES) and set(model.weights) == set(FEATURES)
    assert 0.0 < model.threshold < 1.0
    assert model.fitted_on["catalog"].startswith("demo") and model.fitted_on["carried"] >= 300 and model.fitted_on["not_carried"] >= 300
    strong = dict.fromkeys(FEATURES, 1.0)
    weak = dict.fromkeys(FEATURES, 0.0)
    assert model.probability(strong) > model.threshold > model.probability(weak)


def test_a_missing_model_says_how_to_fit_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="coverage_calibration.py"):
        CoverageModel.load(tmp_path / "absent.json")


def write_ikea_sample(target: Path, every: int = 10) -> Path:
    """Every ``every``-th row of the IKEA catalog (about 370 products of all 17 categories), same format."""
    lines = IKEA.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    target.write_text(lines[0] + "".join(line for number, line in enumerate(lines[1:]) if number % every == 0), encoding="utf-8-sig")
    return target


def test_the_demo_fitted_model_transfers_to_a_furniture_catalog(tmp_path: Path, make_settings, encoder) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(catalog_path=write_ikea_sample(tmp_path / "ikea.csv"), catalog_mapping=MAPPINGS / "ikea.yml")
    assert ingest(settings, encoder=encoder).ingested > 300
    coverage = CatalogCoverage(Retriever.open(settings, query_encoder=encoder))
    carried = {phrase: coverage.judge(phrase) for phrase in ("wardrobe", "bar stool", "office chair", "sofa", "bookcase")}
    not_carried = {phrase: coverage.judge(phrase) for phrase in ("running shoes", "lipstick", "kurtas", "perfume", "handbag")}
    assert all(v.carried for v in carried.values()), {p: round(v.probability, 3) for p, v in carried.items()}
    assert not any(v.carried for v in not_carried.values()), {p: round(v.probability, 3) for p, v in not_carried.items()}
