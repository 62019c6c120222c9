"""The JointBertNLU Rasa component: train -> persist -> load -> process, and its failure modes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.joint_bert_nlu import JointBertConfigError, JointBertNLU, JointBertTrainingError

pytestmark = pytest.mark.slow


def _message(text: str) -> Message:
    message = Message.build(text=text)
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process([message])
    return message


def _load(storage: LocalModelStorage, resource: Resource, context: ExecutionContext) -> JointBertNLU:
    return JointBertNLU.load(JointBertNLU.get_default_config(), storage, resource, context)


def test_round_trip_predicts_intents(trained: tuple[LocalModelStorage, Resource], execution_context: ExecutionContext) -> None:
    component = _load(*trained, execution_context)
    greet, search = component.process([_message("hello"), _message("show me black shoes")])
    assert greet.get("intent")["name"] == "greet"
    assert search.get("intent")["name"] == "search_product"
    ranking = search.get("intent_ranking")
    assert ranking[0]["name"] == "search_product" and ranking[0]["confidence"] > ranking[-1]["confidence"]


def test_round_trip_entities_carry_extractor_role_and_value(trained: tuple[LocalModelStorage, Resource], execution_context: ExecutionContext) -> None:
    component = _load(*trained, execution_context)
    (message,) = component.process([_message("i want red dresses under $50")])
    entities = {e["entity"]: e for e in message.get("entities")}
    assert entities["color"]["value"] == "red" and entities["color"]["extractor"] == "JointBertNLU"
    assert entities["price_max"]["value"] == "50"
    assert 0.0 < entities["color"]["confidence_entity"] <= 1.0
    (negated,) = component.process([_message("no black please")])
    assert [(e["entity"], e.get("role")) for e in negated.get("entities")] == [("color", "exclude")]


def test_missing_model_predicts_fallback(tmp_path: Path, execution_context: ExecutionContext, caplog: pytest.LogCaptureFixture) -> None:
    component = _load(LocalModelStorage(tmp_path), Resource("never_trained"), execution_context)
    (message,) = component.process([_message("show me shoes")])
    assert message.get("intent") == {"name": "nlu_fallback", "confidence": 0.0}
    assert "could not load the joint BERT model" in caplog.text


def test_corrupt_model_predicts_fallback(tmp_path: Path, execution_context: ExecutionContext) -> None:
    storage, resource = LocalModelStorage(tmp_path), Resource("corrupt")
    with storage.write_to(resource) as folder:
        for name in ("model.onnx", "tokenizer.json", "nlu_config.json"):
            (folder / name).write_text("not a model")
    (message,) = _load(storage, resource, execution_context).process([_message("hi")])
    assert message.get("intent")["name"] == "nlu_fallback"


def test_training_failure_quotes_the_command(tmp_path: Path, execution_context: ExecutionContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_ML_PYTHON", "/nonexistent/python")
    component = JointBertNLU.create(JointBertNLU.get_default_config(), LocalModelStorage(tmp_path), Resource("x"), execution_context)
    data = TrainingData([Message.build(text="hi", intent="greet")])
    with pytest.raises(JointBertTrainingError, match="/nonexistent/python -m nlu.train"):
        component.train(data)


def test_trainer_error_output_is_reported(tmp_path: Path, execution_context: ExecutionContext, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_ML_PYTHON", sys.executable)  # the Rasa environment: no torch, so the trainer fails
    component = JointBertNLU.create(JointBertNLU.get_default_config(), LocalModelStorage(tmp_path), Resource("y"), execution_context)
    with pytest.raises(JointBertTrainingError, match=r"fine-tuning failed \(exit [1-9]") as err:
        component.train(TrainingData([Message.build(text="hi", intent="greet")]))
    assert "ModuleNotFoundError" in str(err.value)  # the trainer's own last output is quoted


@pytest.mark.parametrize(
    ("key", "value"),
    [("epochs", 0), ("batch_size", "32"), ("pooling", "max"), ("learning_rate", 2.0), ("ml_python", ""), ("max_steps", -1),
     ("noise_rate", 1.5), ("temperature", 0), ("temperature", "warm"), ("reviewed_repeats", 0)],
)
def test_validate_config_names_the_key(key: str, value: object) -> None:
    with pytest.raises(JointBertConfigError, match=f"JointBertNLU: '{key}'"):
        JointBertNLU.validate_config({**JointBertNLU.get_default_config(), key: value})


def test_misspelt_words_are_corrected_inside_rasa(trained: tuple[LocalModelStorage, Resource], execution_context: ExecutionContext) -> None:
    """The stored model carries its vocabulary: a typo is read as the word, offsets stay on the typo."""
    component = _load(*trained, execution_context)
    (message,) = component.process([_message("i want rred dresses")])
    colours = [e for e in message.get("entities") if e["entity"] == "color"]
    assert colours and colours[0]["value"] == "red" and (colours[0]["start"], colours[0]["end"]) == (7, 11)


def test_temperature_from_the_config_softens_confidences(trained: tuple[LocalModelStorage, Resource], execution_context: ExecutionContext) -> None:
    storage, resource = trained
    sharp = _load(storage, resource, execution_context).process([_message("show me black shoes")])[0].get("intent")["confidence"]
    config = {**JointBertNLU.get_default_config(), "temperature": 4.0}
    soft = JointBertNLU.load(config, storage, resource, execution_context).process([_message("show me black shoes")])[0].get("intent")["confidence"]
    assert soft < sharp


def test_reviewed_lines_are_trained_reviewed_repeats_times(tmp_path: Path, execution_context: ExecutionContext,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Lines of training_data/nlu/reviewed.yml (intent metadata source: reviewed) reach the trainer that often."""
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

    data = RasaYAMLReader().reads(
        'version: "3.1"\nnlu:\n- intent: out_of_scope\n  metadata:\n    source: reviewed\n  examples: |\n    - book me a taxi\n'
        "- intent: greet\n  examples: |\n    - hello there\n"
    )
    seen = tmp_path / "seen.jsonl"
    trainer = tmp_path / "fake-python"  # stands in for the ML environment: keeps the data file it is given, then fails
    trainer.write_text(f'#!/bin/sh\ncp "$4" {seen}\nexit 3\n')
    trainer.chmod(0o755)
    monkeypatch.setenv("SHOP_ML_PYTHON", str(trainer))
    config = {**JointBertNLU.get_default_config(), "reviewed_repeats": 3}
    component = JointBertNLU.create(config, LocalModelStorage(tmp_path / "storage"), Resource("r"), execution_context)
    with pytest.raises(JointBertTrainingError):
        component.train(data)
    texts = [line.split('"text": "', 1)[1].split('"', 1)[0] for line in seen.read_text().splitlines()]
    assert sorted(texts) == ["book me a taxi"] * 3 + ["hello there"]
