"""ONNX Runtime query encoder: the same MiniLM, exported once, for faster single-query encoding.

Why: a query is one short sentence; ONNX Runtime avoids most of torch's per-call overhead, and the
int8 variant is smaller again. The export is written beside the FAISS index so it always matches the
weights that embedded the catalog. Only numpy, onnxruntime and tokenizers are needed at query time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from retrieval.encoder import MAX_LENGTH, mean_pool

INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def export_onnx(encoder: Any, out_dir: Path, *, quantize: bool = True) -> Path:
    """Export ``encoder.model`` (an ``Encoder``) to ``out_dir/model.onnx`` and, optionally, ``model.int8.onnx``."""
    import torch

    out_dir.mkdir(parents=True, exist_ok=True)
    fp32 = out_dir / "model.onnx"

    class _Hidden(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state

    sample = encoder.tokenizer(["a sample query"], return_tensors="pt")
    torch.onnx.export(
        _Hidden(encoder.model), tuple(sample[name] for name in INPUTS), str(fp32),
        input_names=list(INPUTS), output_names=["hidden"], opset_version=17, dynamo=False,
        dynamic_axes={name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "hidden")},
    )
    encoder.model.eval()  # the exporter leaves the module in training mode (dropout on)
    if quantize:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(str(fp32), str(out_dir / "model.int8.onnx"), weight_type=QuantType.QInt8)
    (out_dir / "model_id.txt").write_text(encoder.model_id, encoding="utf-8")
    (out_dir / "tokenizer.json").write_bytes((encoder.model_dir / "tokenizer.json").read_bytes())
    return fp32


class OnnxQueryEncoder:
    """Encodes queries with ONNX Runtime; ``variant`` is "fp32" or "int8"."""

    def __init__(self, onnx_dir: Path, *, variant: str = "int8", threads: int = 1) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        path = onnx_dir / ("model.int8.onnx" if variant == "int8" else "model.onnx")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # no busy-waiting on shared cores
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(onnx_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_LENGTH)
        self.tokenizer.no_padding()

    def encode_query(self, text: str) -> np.ndarray:
        """One L2-normalised query vector (1-d)."""
        enc = self.tokenizer.encode(text)
        feeds = {
            "input_ids": np.asarray([enc.ids], dtype=np.int64),
            "attention_mask": np.asarray([enc.attention_mask], dtype=np.int64),
            "token_type_ids": np.asarray([enc.type_ids], dtype=np.int64),
        }
        hidden = self.session.run(["hidden"], feeds)[0]
        return mean_pool(hidden, feeds["attention_mask"])[0]
