"""CLI: train and score the joint model on an ATIS/SNIPS-format benchmark.

    python -m nlu.bench_seq --dataset /work/shared/data/benchmarks/atis --epochs 6 --json out.json

Trains on ``train`` (optionally capped), keeps the epoch that scores best on ``dev`` (the usual
protocol of the published joint-BERT figures), scores the torch model on ``test`` with the same
metrics as the held-out shop set, and writes one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

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
    dev_set = read_seq_dataset(args.dataset / "dev") if (args.dataset / "dev").is_dir() else []
    dev_curve: list[dict[str, float]] = []
    best: dict[str, Any] = {"epoch": 0, "score": -1.0, "state": None}

    def score_dev(epoch: int) -> None:
        """Keep the weights of the epoch with the best dev intent accuracy + slot F1 (the test set stays unseen)."""
        if not dev_set:
            return
        intents_dev, tags_dev = predict(model, dev_set, tokenizer)
        dev = joint_metrics([e.intent for e in dev_set], [e.tags for e in dev_set], intents_dev, tags_dev)
        dev_curve.append({"epoch": epoch, **{k: round(float(v), 4) for k, v in dev.items() if k != "count"}})
        combined = float(dev["intent_accuracy"]) + float(dev["slot_f1"])
        print(f"dev after epoch {epoch}: intent {dev['intent_accuracy']:.4f} slot F1 {dev['slot_f1']:.4f}", flush=True)
        if combined > best["score"]:
            best.update(epoch=epoch, score=combined, state={k: v.detach().clone() for k, v in model.state_dict().items()})

    summary = train(
        model,
        encode_examples(train_set, tokenizer, config),
        TrainConfig(epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate, threads=args.threads, seed=args.seed),
        on_epoch_end=score_dev,
    )
    gold_intents, gold_tags = [e.intent for e in test_set], [e.tags for e in test_set]
    last_intents, last_tags = predict(model, test_set, tokenizer)
    last_epoch = joint_metrics(gold_intents, gold_tags, last_intents, last_tags)
    if best["state"] is not None:
        model.load_state_dict(best["state"])
    pred_intents, pred_tags = predict(model, test_set, tokenizer)
    scores = joint_metrics(gold_intents, gold_tags, pred_intents, pred_tags)
    _, argmax_tags = predict(model, test_set, tokenizer, constrained=False)
    argmax = joint_metrics(gold_intents, gold_tags, pred_intents, argmax_tags)
    result = {
        **scores,
        "selected_epoch": best["epoch"] or summary.epochs,
        "selection": "best dev intent accuracy + slot F1" if dev_set else "last epoch (no dev split)",
        "decoding": "BIO-constrained Viterbi over first-piece slot probabilities",
        "argmax_decoding": {k: argmax[k] for k in ("slot_f1", "sentence_accuracy")},
        "last_epoch": {k: last_epoch[k] for k in ("intent_accuracy", "slot_f1", "sentence_accuracy")},
        "dev_curve": dev_curve,
        "train_seconds": summary.seconds,
        "epochs": args.epochs,
        "train_examples": len(train_set),
        "max_len": args.max_len,
        "learning_rate": args.learning_rate,
        "batch_size": args.batch_size,
        "pooling": args.pooling,
        "seed": args.seed,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
