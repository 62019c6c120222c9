"""Fine-tuning loop of :class:`nlu.model.JointBert` (AdamW, linear warm-up then decay).

Why hand-written instead of ``transformers.Trainer``: the loop is ~60 lines, runs on two CPU
threads, and keeps the tqdm bar + one summary line the project expects for long work.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import torch
from tokenizers import Tokenizer
from tqdm import tqdm

from nlu.bio import BioDecoder
from nlu.config import ModelConfig, TrainConfig
from nlu.data import IGNORE_INDEX, Encoded, Example, align
from nlu.model import JointBert
from nlu.pieces import encode_words


@dataclass
class TrainSummary:
    """What a run did, for logs and benchmark JSON."""

    steps: int
    epochs: int
    seconds: float
    final_loss: float


def encode_examples(examples: Sequence[Example], tokenizer: Tokenizer, config: ModelConfig) -> list[Encoded]:
    """Piece ids + aligned slot ids + intent id for every example (done once before training)."""
    intent_index = {name: i for i, name in enumerate(config.intent_labels)}
    slot_index = {name: i for i, name in enumerate(config.slot_labels)}
    encoded = []
    for example in examples:
        ids, word_ids = encode_words(tokenizer, example.words, config.max_len)
        encoded.append(Encoded(ids, align(word_ids, example.tags, slot_index), intent_index.get(example.intent, 0)))
    return encoded


def _batches(items: Sequence[Encoded], size: int, rng: random.Random | None) -> Iterator[dict[str, torch.Tensor]]:
    order = list(range(len(items)))
    if rng is not None:
        rng.shuffle(order)
    for begin in range(0, len(order), size):
        chunk = [items[i] for i in order[begin : begin + size]]
        width = max(len(e.input_ids) for e in chunk)  # pad to the batch's longest, not max_len
        pad = [width - len(e.input_ids) for e in chunk]
        yield {
            "input_ids": torch.tensor([e.input_ids + [0] * p for e, p in zip(chunk, pad, strict=True)]),
            "attention_mask": torch.tensor([[1] * len(e.input_ids) + [0] * p for e, p in zip(chunk, pad, strict=True)]),
            "slot_ids": torch.tensor([e.slot_ids + [IGNORE_INDEX] * p for e, p in zip(chunk, pad, strict=True)]),
            "intent_ids": torch.tensor([e.intent_id for e in chunk]),
        }


def _optimizer(model: JointBert, config: TrainConfig) -> torch.optim.Optimizer:
    """AdamW; the freshly initialised heads learn faster than the pre-trained encoder."""
    groups: list[dict[str, object]] = []
    for is_head in (False, True):
        for decay in (True, False):
            params = [p for n, p in model.named_parameters() if n.startswith("encoder.") != is_head and (p.ndim > 1) == decay]
            if params:
                groups.append(
                    {
                        "params": params,
                        "lr": config.head_learning_rate if is_head else config.learning_rate,
                        "weight_decay": config.weight_decay if decay else 0.0,
                    }
                )
    return torch.optim.AdamW(groups)


def train(model: JointBert, data: list[Encoded], config: TrainConfig, on_epoch_end: Callable[[int], None] | None = None) -> TrainSummary:
    """Fine-tune ``model`` in place on ``data`` and return a summary.

    ``on_epoch_end(epoch)`` runs after each full epoch with the model in eval mode (a benchmark
    uses it to score a dev set and keep the best epoch); training mode is restored afterwards.
    """
    if not data:
        raise ValueError("no training examples")
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    rng = random.Random(config.seed)
    per_epoch = math.ceil(len(data) / config.batch_size)
    total = per_epoch * config.epochs
    if config.max_steps > 0:
        total = min(total, config.max_steps)
    warmup = max(1, int(total * config.warmup_ratio))
    optimizer = _optimizer(model, config)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup))))
    model.train()
    started, step, loss_avg = time.perf_counter(), 0, 0.0
    with tqdm(total=total, desc="fine-tune", unit="step", dynamic_ncols=True) as bar:
        for epoch in range(config.epochs):
            for batch in _batches(data, config.batch_size, rng):
                intent_logits, slot_logits = model(batch["input_ids"], batch["attention_mask"])
                loss = model.loss(intent_logits, slot_logits, batch["intent_ids"], batch["slot_ids"])
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                schedule.step()
                step += 1
                loss_avg = 0.9 * loss_avg + 0.1 * loss.item() if step > 1 else loss.item()
                bar.set_postfix(epoch=epoch + 1, loss=f"{loss_avg:.4f}")
                bar.update()
                if step >= total:
                    break
            if on_epoch_end is not None:
                model.eval()
                on_epoch_end(epoch + 1)
                model.train()
            if step >= total:
                break
    model.eval()
    summary = TrainSummary(step, epoch + 1, time.perf_counter() - started, loss_avg)
    print(
        f"fine-tune done: {summary.steps} steps, {summary.epochs} epochs, {len(data)} examples, {summary.seconds:.1f}s, final loss {summary.final_loss:.4f}",
        flush=True,
    )
    return summary


@torch.no_grad()
def predict(
    model: JointBert, examples: Sequence[Example], tokenizer: Tokenizer, batch_size: int = 64, constrained: bool = True
) -> tuple[list[str], list[list[str]]]:
    """Intent and one BIO tag per word for each example (words cut by max_len are tagged O).

    ``constrained`` decodes the tags with the BIO-valid Viterbi of :mod:`nlu.bio`, as the runtime does.
    """
    config = model.config
    model.eval()
    decoder = BioDecoder(config.slot_labels, constrained=constrained)
    encoded = encode_examples(examples, tokenizer, config)
    intents: list[str] = []
    tags: list[list[str]] = []
    for begin in range(0, len(encoded), batch_size):
        batch = next(_batches(encoded[begin : begin + batch_size], batch_size, None))
        intent_logits, slot_logits = model(batch["input_ids"], batch["attention_mask"])
        slot_numpy = slot_logits.numpy()
        for row, intent_id in enumerate(intent_logits.argmax(-1).tolist()):
            example = examples[begin + row]
            intents.append(config.intent_labels[intent_id])
            _, word_ids = encode_words(tokenizer, example.words, config.max_len)
            words, _ = decoder.decode(slot_numpy[row], word_ids, len(example.words))
            tags.append(words)
    return intents, tags
