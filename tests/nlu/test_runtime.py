"""A tiny model trained for a few real steps, exported to ONNX and run through nlu.runtime."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlu.runtime import JointNluRuntime, decode_entities
from nlu.text import split_words

pytestmark = pytest.mark.slow


def test_export_folder_contents(tiny_model: Path) -> None:
    names = {p.name for p in tiny_model.iterdir()}
    assert {"model.onnx", "tokenizer.json", "nlu_config.json"} <= names
    info = json.loads((tiny_model / "nlu_config.json").read_text())
    assert info["model"]["intent_labels"] == ["add_constraint", "greet", "search_product"]
    assert "fp32" in info["metrics"]


@pytest.mark.parametrize(
    ("text", "intent"),
    [("hello", "greet"), ("show me black shoes", "search_product"), ("not Nike", "add_constraint")],
)
def test_runtime_predicts_trained_intents(tiny_model: Path, text: str, intent: str) -> None:
    parse = JointNluRuntime(tiny_model).parse(text)
    assert parse.intent["name"] == intent
    assert parse.intent_ranking[0] == parse.intent
    assert abs(sum(r["confidence"] for r in parse.intent_ranking) - 1.0) < 1e-4


def test_runtime_extracts_entities_with_offsets_roles_and_values(tiny_model: Path) -> None:
    runtime = JointNluRuntime(tiny_model)
    text = "i want red dresses under $50"
    entities = {e["entity"]: e for e in runtime.parse(text).entities}
    assert entities["color"]["value"] == "red"
    assert text[entities["color"]["start"] : entities["color"]["end"]] == "red"
    assert entities["price_max"]["value"] == "50"
    assert 0.0 < entities["color"]["confidence_entity"] <= 1.0
    excluded = runtime.parse("no black please").entities
    assert [(e["entity"], e.get("role"), e["value"]) for e in excluded] == [("color", "exclude", "black")]


def test_missing_model_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="model.onnx"):
        JointNluRuntime(tmp_path)


def test_decode_entities_handles_stray_inside_tags() -> None:
    text = "cheap navy blue jeans"
    words = split_words(text)
    tags = ["O", "I-color", "I-color", "B-product_type"]
    entities = decode_entities(text, words, tags, [1.0, 0.9, 0.8, 0.7])
    assert [(e["entity"], e["value"], e["confidence_entity"]) for e in entities] == [("color", "navy blue", 0.8), ("product_type", "jeans", 0.7)]


def test_misspelt_words_are_read_corrected_but_offsets_stay_in_the_text(tiny_model: Path) -> None:
    assert (tiny_model / "vocabulary.json").is_file()
    runtime = JointNluRuntime(tiny_model)
    text = "i want rred dresses"
    parse = runtime.parse(text)
    colours = [e for e in parse.entities if e["entity"] == "color"]
    assert colours and colours[0]["value"] == "red"
    assert text[colours[0]["start"]:colours[0]["end"]] == "rred"


def test_temperature_softens_the_ranking(tiny_model: Path) -> None:
    sharp = JointNluRuntime(tiny_model).parse("show me black shoes").intent["confidence"]
    soft = JointNluRuntime(tiny_model, temperature=4.0).parse("show me black shoes").intent["confidence"]
    assert 1 / 3 < soft < sharp
