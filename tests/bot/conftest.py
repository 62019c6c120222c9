"""Fixtures of the Rasa-side tests (run with ``.venv-rasa/bin/python -m pytest tests/bot``).

The joint model needs torch to train, which this environment lacks: the session fixture trains
a tiny model once through the component's own ``train()``, which runs the ML environment's
trainer as a subprocess, exactly as ``rasa train`` does.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.loading import load_data

from bot.components.joint_bert_nlu import JointBertNLU

os.environ.setdefault("HF_HUB_OFFLINE", "1")
TINY_DATA = Path(__file__).parent / "data" / "tiny_nlu.yml"
# Few real optimiser steps: enough to fit the tiny set, short enough for a unit test.
TINY_CONFIG = {"epochs": 60, "max_steps": 60, "batch_size": 12, "learning_rate": 2e-4, "int8": False, "threads": 1}


@pytest.fixture(scope="session")
def execution_context() -> ExecutionContext:
    """A minimal graph context; the component does not read it."""
    return ExecutionContext(GraphSchema({}), "test-model")


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory, execution_context: ExecutionContext) -> tuple[LocalModelStorage, Resource]:
    """Model storage + resource holding a tiny model trained through ``JointBertNLU.train``."""
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    resource = Resource("joint_bert_nlu")
    component = JointBertNLU.create({**JointBertNLU.get_default_config(), **TINY_CONFIG}, storage, resource, execution_context)
    component.train(load_data(str(TINY_DATA)))
    return storage, resource
