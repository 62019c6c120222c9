"""Design choices are made on dev splits: the pooling pick and the shop's template-disjoint split."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from benchmarks.nlu_benchmark import best_dev_score, publish_dev_choice
from benchmarks.shop_dev_split import split_templates, write_split
from nlu.data import read_rasa_nlu

CATALOG = Path(__file__).resolve().parents[3] / "shared" / "data" / "catalogs" / "myntra_styles.csv"


def _run(dev: list[tuple[float, float]], test_intent: float, pooling: str) -> dict[str, object]:
    curve = [{"epoch": i + 1, "intent_accuracy": a, "slot_f1": f} for i, (a, f) in enumerate(dev)]
    return {"intent_accuracy": test_intent, "slot_f1": 0.9, "dev_curve": curve, "pooling": pooling, "selected_epoch": len(dev)}


def test_pooling_is_chosen_on_dev_even_when_test_would_disagree() -> None:
    entry = {
        "count": 893,
        "published_jointbert_base": {"intent_accuracy": 0.975},
        "pooling_variants": {
            "mean": _run([(0.95, 0.90), (0.97, 0.95)], test_intent=0.99, pooling="mean"),
            "cls": _run([(0.96, 0.93), (0.98, 0.96)], test_intent=0.90, pooling="cls"),
        },
    }
    published = publish_dev_choice(entry)
    assert best_dev_score(entry["pooling_variants"]["cls"]) == pytest.approx(1.94)
    assert published["pooling"] == "cls"
    assert published["intent_accuracy"] == 0.90  # the dev winner's test score, not the best test score
    assert published["count"] == 893 and published["published_jointbert_base"] == {"intent_accuracy": 0.975}
    assert set(published["pooling_variants"]) == {"mean", "cls"}


def test_template_split_keeps_every_template_on_exactly_one_side() -> None:
    templates = [f"t{i}" for i in range(12)]
    train, dev = split_templates(templates, fold=1, folds=5)
    assert dev == ["t1", "t6", "t11"]
    assert sorted(train + dev) == sorted(templates) and not set(train) & set(dev)
    assert split_templates(["only"], fold=0, folds=5) == (["only"], [])


@pytest.mark.skipif(not CATALOG.is_file(), reason="needs ../shared/data/catalogs/myntra_styles.csv")
def test_shop_dev_split_shares_no_template_or_sentence_with_train(tmp_path: Path) -> None:
    counts = write_split(tmp_path, catalog=CATALOG)
    train = read_rasa_nlu([tmp_path / "train"])
    dev = read_rasa_nlu([tmp_path / "dev"])
    assert len(train) == sum(counts["train"].values()) and len(dev) == sum(counts["dev"].values())
    assert 0.15 < len(dev) / (len(train) + len(dev)) < 0.3
    assert {e.intent for e in dev} == {e.intent for e in train}  # every intent is scored on dev
    assert not {" ".join(e.words).lower() for e in dev} & {" ".join(e.words).lower() for e in train}

    def shape(example) -> str:  # the template behind an example: entity values collapsed to their label
        words = [tag[2:] if tag != "O" else word for word, tag in zip(example.words, example.tags, strict=True) if not tag.startswith("I-")]
        return re.sub(r"[?!]|please|thanks", "", " ".join(words).lower()).strip()

    generated_dev = {shape(e) for e in dev if any(t != "O" for t in e.tags)}
    generated_train = {shape(e) for e in train if any(t != "O" for t in e.tags)}
    overlap = generated_dev & generated_train
    assert len(overlap) / len(generated_dev) < 0.1, sorted(overlap)[:10]
