"""Typed configuration of the joint model, saved as JSON beside the weights (standard library only).

Why JSON next to the model: the ONNX runtime inside the Rasa environment must know the label
order, the pooling and the maximum length the model was trained with, without torch.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

CONFIG_FILE = "nlu_config.json"
ONNX_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
VOCABULARY_FILE = "vocabulary.json"  # the shop words the spelling corrector prefers (nlu.spelling)


@dataclass
class ModelConfig:
    """Shape of the network and its label vocabularies."""

    intent_labels: list[str]
    slot_labels: list[str]
    encoder_dir: str = ""
    pooling: str = "mean"  # "mean" | "cls" | "pooled": how the intent head reads the sentence
    dropout: float = 0.1
    max_len: int = 64  # word pieces incl. [CLS]/[SEP]; longer inputs are cut
    slot_loss_coef: float = 1.0


@dataclass
class TrainConfig:
    """Optimisation settings; ``max_steps`` > 0 stops early (used by tests)."""

    epochs: int = 8
    batch_size: int = 32
    learning_rate: float = 8e-5
    head_learning_rate: float = 1e-3
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    seed: int = 13
    threads: int = 2
    max_steps: int = 0


@dataclass
class ExportInfo:
    """Everything the runtime needs besides the ONNX graph and the tokenizer."""

    model: ModelConfig
    train: TrainConfig
    quantized: bool = False
    metrics: dict[str, Any] = field(default_factory=dict)


def save_json(obj: Any, path: Path) -> None:
    """Write a dataclass as indented JSON."""
    Path(path).write_text(json.dumps(asdict(obj), indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _build(cls: type[T], data: dict[str, Any]) -> T:
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in data.items() if k in names})


def load_export_info(path: Path) -> ExportInfo:
    """Read ``nlu_config.json``; unknown keys are ignored so older readers keep working."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return ExportInfo(
        model=_build(ModelConfig, data["model"]),
        train=_build(TrainConfig, data.get("train", {})),
        quantized=bool(data.get("quantized", False)),
        metrics=dict(data.get("metrics", {})),
    )
