"""Corrections stored, checked and exported in the project's formats (review/corrections.py, export.py, markup.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy.orm import Session

from nlu.data import parse_annotated
from retrieval.store import make_engine
from review.corrections import CorrectionError, correct, dismiss, forget_conversation, mark_products, save_story
from review.db import migrate
from review.export import export_all, held_out_lines
from review.labels import load_labels
from review.markup import annotate
from review.models import ReviewItem

LABELS = load_labels()


@pytest.fixture
def db(scratch_database_url: str) -> Iterator[Session]:
    """The review tables in an empty store: SQLite, or PostgreSQL in the PostgreSQL stage of `make test`."""
    engine = make_engine(scratch_database_url)
    migrate(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def item(db: Session, text: str, conversation: str = "web-abc123", products: list[str] | None = None) -> ReviewItem:
    row = ReviewItem(conversation_id=conversation, event_id=len(text) + hash(text) % 10_000, text=text, intent="search_product",
                     confidence=0.4, entities=[], reasons=["low_confidence"], products=products or [], status="open")
    db.add(row)
    db.flush()
    return row


def span(text: str, word: str, entity: str, role: str | None = None) -> dict[str, object]:
    start = text.index(word)
    return {"start": start, "end": start + len(word), "entity": entity, "role": role}


def test_markup_reads_back_as_the_same_spans() -> None:
    text = "not [nike] shoes (red) for {men}"
    entities = [span(text, "nike", "brand", "exclude"), span(text, "shoes", "product_type")]
    plain, spans = parse_annotated(annotate(text, entities))
    assert [(plain[s.start:s.end], s.label) for s in spans] == [("nike", "brand.exclude"), ("shoes", "product_type")]
    assert "[" not in plain and "{" not in plain  # the customer's own brackets cannot open markup


def test_the_domain_is_the_only_source_of_labels() -> None:
    assert "search_product" in LABELS.intents and "nlu_fallback" not in LABELS.intents
    assert LABELS.entities["color"] == ("exclude",) and "product_id" not in LABELS.entities


@pytest.mark.parametrize(("entities", "problem"), [
    ([{"start": 0, "end": 2, "entity": "color"}], "whole words"),
    ([{"start": 0, "end": 99, "entity": "color"}], "outside"),
    ([{"start": 0, "end": 3, "entity": "colour"}], "unknown entity"),
    ([{"start": 0, "end": 3, "entity": "gender", "role": "exclude"}], "no role"),
    ([{"start": 0, "end": 3, "entity": "color"}, {"start": 0, "end": 11, "entity": "product_type"}], "overlap"),
])
def test_a_correction_that_cannot_train_is_refused(db: Session, entities: list[dict[str, object]], problem: str) -> None:
    row = item(db, "red wellies please")
    with pytest.raises(CorrectionError, match=problem):
        correct(db, item_id=row.id, intent="search_product", entities=entities, reviewer="rita", labels=LABELS)
    with pytest.raises(CorrectionError, match="unknown intent"):
        correct(db, item_id=row.id, intent="nlu_fallback", entities=[], reviewer="rita", labels=LABELS)


def test_export_writes_all_three_formats_without_customer_ids(db: Session, tmp_path: Path) -> None:
    first = item(db, "got any wellies in red?", products=["11", "12"])
    correct(db, item_id=first.id, intent="search_product", reviewer="rita", labels=LABELS,
            entities=[span(first.text, "wellies", "product_type"), span(first.text, "red", "color")])
    second = item(db, "can u book me a taxi", conversation="api-ffff")
    correct(db, item_id=second.id, intent="out_of_scope", entities=[], reviewer="rita", labels=LABELS)
    dismiss(db, item_id=item(db, "hello", conversation="web-zzz").id)
    mark_products(db, item_id=first.id, grades={"11": 2, "12": 0}, reviewer="rita")
    with pytest.raises(CorrectionError):
        mark_products(db, item_id=first.id, grades={"99": 2}, reviewer="rita")
    steps = [{"user": first.text, "intent": "search_product", "entities": [span(first.text, "wellies", "product_type")]},
             {"action": "action_search_products"}]
    story = save_story(db, conversation_id="web-abc123", steps=steps, reviewer="rita")
    report = export_all(db, root=tmp_path, catalog="demo")
    assert (report.examples, report.stories, report.relevance_labels) == (2, 1, 2)
    nlu = yaml.safe_load((tmp_path / "training_data/nlu/reviewed.yml").read_text())
    examples = {block["intent"]: block["examples"] for block in nlu["nlu"]}
    assert "got any [wellies](product_type) in [red](color)?" in examples["search_product"]
    assert "can u book me a taxi" in examples["out_of_scope"] and "hello" not in json.dumps(nlu)
    stories = yaml.safe_load((tmp_path / "tests/conversations/test_reviewed.yml").read_text())
    assert stories["stories"][0]["story"] == f"reviewed conversation {story.id}"
    assert stories["stories"][0]["steps"] == [{"user": "got any [wellies](product_type) in red?\n", "intent": "search_product"},
                                              {"action": "action_search_products"}]
    labels = [json.loads(line) for line in (tmp_path / "benchmarks/data/reviewed_relevance.jsonl").read_text().splitlines()]
    assert labels == [{"query": first.text, "product_id": "11", "grade": 2, "catalog": "demo"},
                      {"query": first.text, "product_id": "12", "grade": 0, "catalog": "demo"}]
    written = "".join((tmp_path / f).read_text() for f in report.files)
    assert "web-abc123" not in written and "api-ffff" not in written


def test_contact_details_and_held_out_lines_are_withheld(db: Session, tmp_path: Path) -> None:
    for text in ("my email is jo@example.com, red shoes", "call me on 0770 090 0461", held_out_lines()[0].split("[")[0] or "x"):
        correct(db, item_id=item(db, text).id, intent="search_product", entities=[], reviewer="rita", labels=LABELS)
    report = export_all(db, root=tmp_path, catalog="demo")
    assert report.withheld_contact_details == 2
    assert report.examples + report.withheld_contact_details + len(report.withheld_held_out) == 3
    assert "example.com" not in (tmp_path / "training_data/nlu/reviewed.yml").read_text() if report.examples else True


def test_forgetting_a_customer_empties_their_part_of_the_next_export(db: Session, tmp_path: Path) -> None:
    row = item(db, "do you sell kayaks", conversation="web-forget-me")
    correct(db, item_id=row.id, intent="search_product", entities=[span(row.text, "kayaks", "product_type")], reviewer="rita", labels=LABELS)
    assert export_all(db, root=tmp_path, catalog="demo").examples == 1
    assert forget_conversation(db, conversation_id="web-forget-me") == 2
    assert export_all(db, root=tmp_path, catalog="demo").examples == 0
    assert not (tmp_path / "training_data/nlu/reviewed.yml").exists()
