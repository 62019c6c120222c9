"""Rasa graph component that runs our fine-tuned joint BERT intent + slot model.

Why a component (and not an external NLU server): ``rasa test`` ignores ``endpoints.yml`` NLU,
so the model must sit inside the pipeline. Training needs torch, which the Rasa environment does
not have: ``train()`` runs ``python -m nlu.train`` in the ML environment as a subprocess and
stores the exported ONNX folder in Rasa's model storage; inference uses ``nlu.runtime``
(onnxruntime + tokenizers), so the Rasa server never imports torch.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections import deque
from pathlib import Path
from typing import IO, Any, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from shop.messages import REVIEWED_SOURCE

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
ML_PYTHON_ENV = "SHOP_ML_PYTHON"
MODEL_FILES = ("model.onnx", "tokenizer.json", "nlu_config.json", "vocabulary.json")


class JointBertConfigError(ValueError):
    """A key of the JointBertNLU entry in config.yml has an unusable value."""


class JointBertTrainingError(RuntimeError):
    """The fine-tuning subprocess failed; the message quotes the command and its last output."""


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR],
    is_trainable=True,
)
class JointBertNLU(GraphComponent, IntentClassifier, EntityExtractorMixin):
    """Intent ranking + entities (with roles and normalised values) from one ONNX model."""

    @classmethod
    def required_components(cls) -> list[type]:
        """A tokenizer must run first so that ``rasa test`` can align entities to tokens."""
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Defaults; every key can be overridden in config.yml."""
        return {
            "ml_python": ".venv-ml/bin/python",  # torch environment; env SHOP_ML_PYTHON wins
            "epochs": 5,
            "batch_size": 32,
            "learning_rate": 8e-5,
            "max_len": 48,
            "pooling": "mean",
            "seed": 13,
            "threads": 2,
            "max_steps": 0,
            "int8": True,
            "ranking_length": 10,
            "noise_rate": 0.0,  # share of examples trained with typos, then spell-corrected as at inference
            "temperature": 1.0,  # divides the intent logits; fitted on a dev split (benchmarks/robustness_benchmark.py)
            "train_timeout_seconds": 3600,
            # Times each example of an intent block with ``metadata: {source: reviewed}`` is trained:
            # messages staff corrected in the review queue (review/export.py), each a known mistake.
            "reviewed_repeats": 1,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        runtime: Optional[Any] = None,
        load_error: Optional[str] = None,
    ) -> None:
        """Keeps the loaded runtime, or the reason there is none (then it predicts fallback)."""
        self._config = {**self.get_default_config(), **config}
        self.validate_config(self._config)
        self._model_storage = model_storage
        self._resource = resource
        self._runtime = runtime
        self._load_error = load_error

    def train(self, training_data: TrainingData) -> Resource:
        """Fine-tune in the ML environment and store the exported folder in model storage."""
        examples = [m for m in training_data.intent_examples if m.get(TEXT)]
        if not examples:
            logger.warning("JointBertNLU: no intent examples in the training data, nothing to train")
            return self._resource
        with tempfile.TemporaryDirectory(prefix="joint-bert-") as tmp:
            data_file = Path(tmp) / "train.jsonl"
            rows = [json.dumps(self._as_row(m)) + "\n" for m in examples for _ in range(self._repeats(m))]
            data_file.write_text("".join(rows), encoding="utf-8")
            out_dir = Path(tmp) / "model"
            self._run_trainer(data_file, out_dir)
            with self._model_storage.write_to(self._resource) as storage_dir:
                for name in MODEL_FILES:
                    shutil.copyfile(out_dir / name, storage_dir / name)
        return self._resource

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> JointBertNLU:
        """A fresh, untrained component."""
        return cls(config, model_storage, resource, load_error="the component has not been trained")

    def process(self, messages: list[Message]) -> list[Message]:
        """Set intent, intent_ranking and entities; on any model problem predict nlu_fallback."""
        for message in messages:
            text = message.get(TEXT) or ""
            if self._runtime is None:
                logger.error("JointBertNLU has no model (%s); predicting %s", self._load_error, DEFAULT_NLU_FALLBACK_INTENT_NAME)
                self._set_fallback(message)
                continue
            try:
                parse = self._runtime.parse(text, ranking_size=int(self._config["ranking_length"]))
            except Exception as err:  # noqa: BLE001 - a broken model must not take the server down
                logger.error("JointBertNLU inference failed on %r: %s; predicting %s", text, err, DEFAULT_NLU_FALLBACK_INTENT_NAME)
                self._set_fallback(message)
                continue
            message.set(INTENT, parse.intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, parse.intent_ranking, add_to_output=True)
            entities = [{k: v for k, v in e.items() if k != "text"} for e in parse.entities]
            message.set(ENTITIES, message.get(ENTITIES, []) + self.add_extractor_name(entities), add_to_output=True)
        return messages

    def persist(self) -> None:
        """Nothing to do: ``train`` already wrote the exported folder into model storage."""

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> JointBertNLU:
        """Load the ONNX runtime; a missing or corrupt model is logged, not raised."""
        try:
            runtime_cls = _runtime_class()
            with model_storage.read_from(resource) as model_dir:
                runtime = runtime_cls(Path(model_dir), threads=1, temperature=float(config.get("temperature", 1.0)))
        except Exception as err:  # noqa: BLE001 - Rasa must still start and answer with fallback
            reason = f"could not load the joint BERT model ({type(err).__name__}: {err}); retrain with `rasa train`"
            logger.error("JointBertNLU: %s", reason)
            return cls(config, model_storage, resource, load_error=reason)
        return cls(config, model_storage, resource, runtime=runtime)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Raise JointBertConfigError naming the component and the key when a value is unusable."""
        for key in ("epochs", "batch_size", "max_len", "threads", "ranking_length", "train_timeout_seconds", "reviewed_repeats"):
            if not isinstance(config.get(key), int) or isinstance(config.get(key), bool) or config[key] < 1:
                raise JointBertConfigError(f"JointBertNLU: '{key}' must be a positive integer, got {config.get(key)!r}")
        if not isinstance(config.get("max_steps"), int) or config["max_steps"] < 0:
            raise JointBertConfigError(f"JointBertNLU: 'max_steps' must be an integer >= 0, got {config.get('max_steps')!r}")
        if not isinstance(config.get("learning_rate"), (int, float)) or not 0 < config["learning_rate"] < 1:
            raise JointBertConfigError(f"JointBertNLU: 'learning_rate' must be in (0, 1), got {config.get('learning_rate')!r}")
        if not isinstance(config.get("noise_rate"), (int, float)) or not 0 <= config["noise_rate"] <= 1:
            raise JointBertConfigError(f"JointBertNLU: 'noise_rate' must be in [0, 1], got {config.get('noise_rate')!r}")
        if not isinstance(config.get("temperature"), (int, float)) or not 0 < config["temperature"] <= 100:
            raise JointBertConfigError(f"JointBertNLU: 'temperature' must be a positive number, got {config.get('temperature')!r}")
        if config.get("pooling") not in {"mean", "cls", "pooled"}:
            raise JointBertConfigError(f"JointBertNLU: 'pooling' must be mean, cls or pooled, got {config.get('pooling')!r}")
        if not isinstance(config.get("ml_python"), str) or not config["ml_python"]:
            raise JointBertConfigError(f"JointBertNLU: 'ml_python' must be a path to a Python with torch, got {config.get('ml_python')!r}")

    # helpers -------------------------------------------------------------------------------

    def _repeats(self, message: Message) -> int:
        """How often an example is trained: reviewed corrections ``reviewed_repeats`` times, the rest once."""
        metadata = message.get("metadata") or {}
        intent_metadata = metadata.get("intent") if isinstance(metadata, dict) else None
        reviewed = isinstance(intent_metadata, dict) and intent_metadata.get("source") == REVIEWED_SOURCE
        return max(1, int(self._config["reviewed_repeats"])) if reviewed else 1

    @staticmethod
    def _as_row(message: Message) -> dict[str, Any]:
        entities = [
            {"start": e["start"], "end": e["end"], "entity": e["entity"], **({"role": e["role"]} if e.get("role") else {})} for e in message.get(ENTITIES, [])
        ]
        return {"text": message.get(TEXT), "intent": message.get(INTENT), "entities": entities}

    def _python(self) -> str:
        python = os.environ.get(ML_PYTHON_ENV) or str(self._config["ml_python"])
        path = Path(python)
        if not path.is_absolute() and not path.exists() and (REPO_ROOT / path).exists():
            return str(REPO_ROOT / path)  # relative to the repo when Rasa runs from elsewhere
        return python

    def _run_trainer(self, data_file: Path, out_dir: Path) -> None:
        c = self._config
        command = [
            self._python(),
            "-m",
            "nlu.train",
            "--data",
            str(data_file),
            "--out",
            str(out_dir),
            "--epochs",
            str(c["epochs"]),
            "--batch-size",
            str(c["batch_size"]),
            "--learning-rate",
            str(c["learning_rate"]),
            "--max-len",
            str(c["max_len"]),
            "--pooling",
            c["pooling"],
            "--seed",
            str(c["seed"]),
            "--threads",
            str(c["threads"]),
            "--max-steps",
            str(c["max_steps"]),
            "--noise-rate",
            str(c["noise_rate"]),
        ] + ([] if c["int8"] else ["--no-int8"])
        env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "TQDM_MININTERVAL": "5",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        }
        logger.info("JointBertNLU: fine-tuning with %s", " ".join(command))
        tail: deque[str] = deque(maxlen=40)
        timeout = int(c["train_timeout_seconds"])
        try:
            # Its own process group, so a timeout stops the trainer and anything it started.
            proc = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        except OSError as err:
            raise JointBertTrainingError(
                f"JointBertNLU could not start `{' '.join(command)}`: {err}. "
                f"Set '{ML_PYTHON_ENV}' or the component's 'ml_python' to the torch environment's python."
            ) from err
        assert proc.stdout is not None
        # The output is read by a thread, so the deadline holds whether the trainer prints or hangs.
        reader = threading.Thread(target=_relay_output, args=(proc.stdout, tail), name="joint-bert-trainer-output", daemon=True)
        reader.start()
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(proc)
            reader.join(timeout=10)
            raise JointBertTrainingError(
                f"JointBertNLU fine-tuning did not finish within train_timeout_seconds={timeout} and was stopped, "
                f"running `{' '.join(command)}`. Raise 'train_timeout_seconds' in config.yml if the machine is slow; "
                f"last output:\n{_last_lines(tail)}"
            ) from None
        finally:
            _stop(proc)  # an interrupted `rasa train` (Ctrl-C) leaves no trainer behind
        reader.join(timeout=10)
        if code != 0 or not all((out_dir / name).is_file() for name in MODEL_FILES):
            raise JointBertTrainingError(f"JointBertNLU fine-tuning failed (exit {code}) running `{' '.join(command)}`:\n{_last_lines(tail)}")

    @staticmethod
    def _set_fallback(message: Message) -> None:
        intent = {"name": DEFAULT_NLU_FALLBACK_INTENT_NAME, "confidence": 0.0}
        message.set(INTENT, intent, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [intent], add_to_output=True)


def _relay_output(stream: IO[bytes], tail: deque[str]) -> None:
    """Copy the trainer's output to stderr (its progress bar) and keep its last lines for errors."""
    for chunk in iter(lambda: stream.read1(4096), b""):  # type: ignore[attr-defined]
        text = chunk.decode("utf-8", "replace")
        sys.stderr.write(text)
        sys.stderr.flush()
        tail.extend(text.replace("\r", "\n").splitlines())


def _last_lines(tail: deque[str]) -> str:
    return "\n".join(line for line in list(tail) if line.strip())[-3000:]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Kill the trainer's process group, if the trainer still runs, and reap it."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):  # it exited between the poll and the kill
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _runtime_class() -> Any:
    """``nlu.runtime.JointNluRuntime``, importable even when Rasa was started without PYTHONPATH."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.append(str(REPO_ROOT))
    from nlu.runtime import JointNluRuntime

    return JointNluRuntime
