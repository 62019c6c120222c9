"""Export a trained :class:`JointBert` to an ONNX folder the Rasa environment can run.

Why ONNX: the Rasa environment has no torch; onnxruntime 1.23 + tokenizers run the model there.
Opset 17 is read by onnxruntime 1.23. Dynamic int8 quantisation shrinks the file ~4x and speeds
CPU inference up, but it is kept only when it does not cost accuracy on the evaluation set.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import torch

from nlu.config import CONFIG_FILE, ONNX_FILE, TOKENIZER_FILE, ExportInfo, save_json
from nlu.model import JointBert

OPSET = 17
MAX_DROP = 0.005  # int8 may lose at most half a point of intent accuracy or slot F1


def export_onnx(model: JointBert, path: Path) -> None:
    """Write the fp32 graph with dynamic batch and sequence axes."""
    model.eval()
    ids = torch.tensor([[101, 2023, 2003, 102], [101, 2023, 102, 0]])
    mask = (ids != 0).long()
    torch.onnx.export(
        model,
        (ids, mask),
        str(path),
        input_names=["input_ids", "attention_mask"],
        output_names=["intent_logits", "slot_logits"],
        dynamic_axes={
            "input_ids": {0: "batch", 1: "pieces"},
            "attention_mask": {0: "batch", 1: "pieces"},
            "intent_logits": {0: "batch"},
            "slot_logits": {0: "batch", 1: "pieces"},
        },
        opset_version=OPSET,
        dynamo=False,
        do_constant_folding=True,
    )


def quantize(fp32: Path, int8: Path) -> None:
    """Dynamic int8 quantisation of the MatMul weights (activations stay float)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)


def export_folder(
    model: JointBert,
    tokenizer_path: Path,
    info: ExportInfo,
    out: Path,
    evaluate: Callable[[Path], dict[str, float]] | None = None,
    try_int8: bool = True,
) -> ExportInfo:
    """Write ``model.onnx`` + ``tokenizer.json`` + ``nlu_config.json`` into ``out``.

    ``evaluate(folder)`` scores a folder through :mod:`nlu.runtime`; with it, the int8 graph
    replaces the fp32 one only when neither intent accuracy nor slot F1 drop by more than MAX_DROP.
    """
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tokenizer_path, out / TOKENIZER_FILE)
    fp32 = out / ONNX_FILE
    export_onnx(model, fp32)
    info.quantized = False
    save_json(info, out / CONFIG_FILE)
    if evaluate is None:
        return info
    scores = evaluate(out)
    info.metrics["fp32"] = scores
    if try_int8:
        int8 = out / "model.int8.onnx"
        quantize(fp32, int8)
        backup = out / "model.fp32.onnx"
        fp32.rename(backup)
        int8.rename(fp32)
        q_scores = evaluate(out)
        info.metrics["int8"] = q_scores
        keep = all(q_scores[k] >= scores[k] - MAX_DROP for k in ("intent_accuracy", "slot_f1"))
        if keep:
            backup.unlink()
            info.quantized = True
        else:
            fp32.unlink()
            backup.rename(fp32)
        print(
            f"int8 {'kept' if keep else 'rejected'}: intent {q_scores['intent_accuracy']:.4f} vs "
            f"{scores['intent_accuracy']:.4f}, slot F1 {q_scores['slot_f1']:.4f} vs {scores['slot_f1']:.4f}",
            flush=True,
        )
    save_json(info, out / CONFIG_FILE)
    return info
