"""CLI: fine-tune the joint model on Rasa NLU data and export an ONNX folder.

    python -m nlu.train --data training_data/nlu --out models/nlu [--epochs 8]

Used directly and by the Rasa component (``bot/components/joint_bert_nlu.py``) as a subprocess
in the torch environment. Exits non-zero with a one-line reason on bad input.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m nlu.train", description=__doc__.split("\n")[1])
    parser.add_argument("--data", nargs="+", required=True, type=Path, help="Rasa NLU .yml files/folders or .jsonl files")
    parser.add_argument("--out", required=True, type=Path, help="folder for model.onnx, tokenizer.json, nlu_config.json")
    parser.add_argument("--eval", nargs="*", type=Path, default=[], help="held-out data scored after export")
    parser.add_argument("--encoder-dir", type=Path, default=None, help="MiniLM folder (default: shop settings encoder_dir)")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=8e-5)
    parser.add_argument("--max-len", type=int, default=48)
    parser.add_argument("--pooling", choices=["mean", "cls", "pooled"], default="mean")
    parser.add_argument("--slot-loss-coef", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: all epochs)")
    parser.add_argument("--no-int8", action="store_true", help="keep the fp32 graph without trying int8")
    parser.add_argument("--noise-rate", type=float, default=0.0,
                        help="share of examples trained as typed with typos and then spell-corrected (as at inference)")
    return parser.parse_args(argv)


def _encoder_dir(arg: Path | None) -> Path:
    if arg is not None:
        return arg
    from shop.settings import get_settings

    return get_settings().encoder_dir


def main(argv: list[str] | None = None) -> int:
    """Train, export, score; prints a JSON summary as the last line."""
    args = _args(argv)
    from nlu.config import VOCABULARY_FILE, ExportInfo, ModelConfig, TrainConfig
    from nlu.data import label_sets, load_examples
    from nlu.noise import with_typing_noise
    from nlu.spelling import SpellingCorrector

    try:
        examples = load_examples(args.data)
        held_out = load_examples(args.eval) if args.eval else []
    except (OSError, ValueError) as err:
        print(f"nlu.train: {err}", file=sys.stderr)
        return 2
    encoder_dir = _encoder_dir(args.encoder_dir)
    if not (encoder_dir / "tokenizer.json").is_file():
        print(f"nlu.train: no MiniLM weights at {encoder_dir} (set SHOP_ENCODER_DIR or --encoder-dir)", file=sys.stderr)
        return 2

    import torch

    from nlu.evaluate import evaluate_folder
    from nlu.export import export_folder
    from nlu.model import JointBert
    from nlu.pieces import load_tokenizer
    from nlu.trainer import encode_examples, train

    intents, slots = label_sets(examples)
    model_config = ModelConfig(intents, slots, str(encoder_dir), args.pooling, max_len=args.max_len, slot_loss_coef=args.slot_loss_coef)
    train_config = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        seed=args.seed,
        threads=args.threads,
        max_steps=args.max_steps,
    )
    torch.manual_seed(args.seed)
    tokenizer = load_tokenizer(encoder_dir / "tokenizer.json")
    # The shop's words: out-of-scope examples are general English, which the corrector already knows.
    speller = SpellingCorrector.from_texts(" ".join(e.words) for e in examples if e.intent != "out_of_scope")
    args.out.mkdir(parents=True, exist_ok=True)
    speller.save(args.out / VOCABULARY_FILE)  # before export: the export's own check reads it
    trained_on = with_typing_noise(examples, speller, args.noise_rate, random.Random(args.seed + 1))
    print(f"nlu.train: {len(examples)} examples ({args.noise_rate:.0%} typed with typos, then corrected), "
          f"{len(intents)} intents, {len(slots)} slot labels, {len(speller.domain_counts)} shop words", flush=True)
    model = JointBert(model_config)
    summary = train(model, encode_examples(trained_on, tokenizer, model_config), train_config)
    check = held_out or random.Random(args.seed).sample(examples, min(400, len(examples)))
    info = ExportInfo(model_config, train_config, metrics={"train_seconds": summary.seconds, "train_steps": summary.steps})
    started = time.perf_counter()
    info = export_folder(
        model,
        encoder_dir / "tokenizer.json",
        info,
        args.out,
        evaluate=lambda folder: evaluate_folder(folder, check),
        try_int8=not args.no_int8,
    )
    info.metrics["export_seconds"] = time.perf_counter() - started
    final = info.metrics.get("int8" if info.quantized else "fp32", {})
    print(
        json.dumps(
            {
                "out": str(args.out),
                "quantized": info.quantized,
                "train_seconds": round(summary.seconds, 1),
                "eval_set": "held-out" if held_out else "train-sample",
                **final,
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
