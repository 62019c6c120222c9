"""Scoring an exported folder through :mod:`nlu.runtime` (what Rasa will actually run)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nlu.data import Example
from nlu.metrics import joint_metrics
from nlu.runtime import JointNluRuntime


def evaluate_folder(folder: Path, examples: Sequence[Example], threads: int = 1) -> dict[str, float]:
    """Joint metrics + per-utterance latency percentiles (batch 1) of an exported model."""
    runtime = JointNluRuntime(folder, threads=threads)
    intents, tags, latencies = [], [], []
    for example in examples:
        started = time.perf_counter()
        pred = runtime.predict_words(example.words)
        latencies.append((time.perf_counter() - started) * 1000)
        intents.append(runtime.intents[int(pred.intent_probs.argmax())])
        tags.append(pred.tags)
    scores = joint_metrics([e.intent for e in examples], [e.tags for e in examples], intents, tags)
    scores["latency_ms_p50"] = float(np.percentile(latencies, 50))
    scores["latency_ms_p95"] = float(np.percentile(latencies, 95))
    return scores
