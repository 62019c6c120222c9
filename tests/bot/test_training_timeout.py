"""JointBertNLU stops a trainer that runs past ``train_timeout_seconds``, whether it prints or hangs."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.joint_bert_nlu import JointBertNLU, JointBertTrainingError

TIMEOUT = 2
TRAINERS = {
    # Never stops printing: the output loop alone would never end.
    "prints forever": 'while :; do echo "epoch 1/5 step 7"; sleep 0.01; done\n',
    # Silent, and a child process holds the output pipe open after the trainer itself is gone.
    "hangs silently": "sleep 600\n",
}


@pytest.mark.parametrize("body", TRAINERS.values(), ids=TRAINERS.keys())
def test_a_trainer_past_its_timeout_is_stopped(
    body: str, tmp_path: Path, execution_context: ExecutionContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    trainer = tmp_path / "trainer"
    trainer.write_text("#!/bin/sh\n" + body)
    trainer.chmod(0o755)
    monkeypatch.setenv("SHOP_ML_PYTHON", str(trainer))
    config = {**JointBertNLU.get_default_config(), "train_timeout_seconds": TIMEOUT}
    component = JointBertNLU.create(config, LocalModelStorage(tmp_path / "storage"), Resource("slow"), execution_context)
    raised: list[BaseException] = []

    def train() -> None:
        try:
            component.train(TrainingData([Message.build(text="hi", intent="greet")]))
        except BaseException as error:  # handed to the test thread below
            raised.append(error)

    worker = threading.Thread(target=train, daemon=True)  # a trainer that is never stopped must fail the test, not hang it
    worker.start()
    worker.join(TIMEOUT + 10)
    assert not worker.is_alive(), f"training still running {TIMEOUT + 10} s after a {TIMEOUT} s timeout"
    assert len(raised) == 1 and isinstance(raised[0], JointBertTrainingError), raised
    assert f"did not finish within train_timeout_seconds={TIMEOUT}" in str(raised[0])
