"""CLI: train and score the joint model on an ATIS/SNIPS-format benchmark.

    python -m nlu.bench_seq --dataset /work/shared/data/benchmarks/atis --epochs 6 --json out.json

Trains on ``train`` (optionally capped), scores the torch model on ``test`` with the same
metrics as the held-out shop set, and writes one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main(argv: list[str] | None = None) -> int:
    """Train on ``<dataset>/train``, score on ``<dataset>/test``, print + write the metrics."""
    parser = argparse.ArgumentParser(prog="python -m nlu.bench_seq")
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--json", type=Path, required=True)
    parser.add_argument("--encoder-dir", type=Path, default=None)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=1e-4)
    parser.add_argument("--max-len", type=int, default=50)
    parser.add_argument("--pooling", choices=["mean", "cls", "pooled"], default="mean")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--max-train", type=int, default=0, help="train on a seeded sample of this size (0: all)")
    args = parser.parse_args(argv)

    import torch

    from nlu.config import ModelConfig, TrainConfig
    from nlu.data import label_sets, read_seq_dataset
    from nlu.metrics import joint_metrics
    from nlu.model import JointBert
    from nlu.pieces import load_tokenizer
    from nlu.trainer import encode_examples, predict, train

    if args.encoder_dir is None:
        from shop.settings import get_settings

        args.encoder_dir = get_settings().encoder_dir
    train_set = read_seq_dataset(args.dataset / "train")
    if 0 < args.max_train < len(train_set):
        import random

        train_set = random.Random(args.seed).sample(train_set, args.max_train)
    test_set = read_seq_dataset(args.dataset / "test")
    intents, slots = label_sets(train_set)
    config = ModelConfig(intents, slots, str(args.encoder_dir), args.pooling, max_len=args.max_len)
    tokenizer = load_tokenizer(args.encoder_dir / "tokenizer.json")
    torch.manual_seed(args.seed)
    model = JointBert(config)
    summary = train(
        model,
        encode_examples(train_set, tokenizer, config),
        TrainConfig(epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate, threads=args.threads, seed=args.seed),
    )
    pred_intents, pred_tags = predict(model, test_set, tokenizer)
    scores = joint_metrics([e.intent for e in test_set], [e.tags for e in test_set], pred_intents, pred_tags)
    result = {
        **scores,
        "train_seconds": summary.seconds,
        "epochs": args.epochs,
        "train_examples": len(train_set),
        "max_len": args.max_len,
        "learning_rate": args.learning_rate,
        "pooling": args.pooling,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
