"""Robustness of understanding: out-of-scope requests, calibration, typos, and products the shop does not carry.

    .venv-ml/bin/python benchmarks/robustness_benchmark.py [--stages nlu catalog]

Writes ``benchmarks/results/robustness.json``. Protocol:

- ``nlu``: three fine-tunes with config.yml's JointBertNLU settings, each through ``python -m nlu.train``
  (the trainer ``rasa train`` runs) and scored through ``nlu.runtime`` (what Rasa runs):
  * ``before``: the training data of ``--before-rev`` (the last commit without the CLINC data);
  * ``dev``: today's data minus a template-disjoint dev fifth of the shop data
    (benchmarks/shop_dev_split.py). Its predictions on that dev fifth plus CLINC's *val* split fit the
    temperature (minimum negative log-likelihood) and choose the fallback threshold (most requests
    answered right, in-scope and out-of-scope weighted equally). Nothing is chosen on a test set;
  * ``after``: today's full training data, scored with that temperature and threshold on CLINC's
    *test* and *oos_test* splits (through nlu/clinc_mapping.yml), on the frozen shop held-out set,
    and on a typo-noised copy of it (nlu/noise.py, seed 2026: keyboard-neighbour substitutions,
    dropped and doubled letters in a quarter of the words of four letters or more, at least one
    per sentence).
  A request is "answered as out of scope" when the top intent is out_of_scope or its calibrated
  confidence is below the threshold (Rasa then answers with the fallback).
- ``catalog``: requests for products the demo does and does not carry (benchmarks/catalog_requests.py,
  the evaluation half; labels come from the source catalogs) sent to the real Rasa and action
  servers over the REST channel, with the trained model in models/.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.measure import machine, merge_results, rate  # noqa: E402
from nlu.clinc import OUT_OF_SCOPE, load_mapping, load_split  # noqa: E402

CLINC_DIR = REPO.parent / "shared" / "data" / "benchmarks" / "clinc150"
HELD_OUT = REPO / "tests" / "nlu" / "heldout.yml"
NLU_DATA = REPO / "training_data" / "nlu"
BEFORE_REV = "3420019"
NOISE_SEED = 2026
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONPATH": str(REPO), "TQDM_MININTERVAL": "10"}


def log(message: str) -> None:
    print(f"[robustness] {message}", flush=True)


def shipped_settings() -> dict[str, Any]:
    """config.yml's JointBertNLU entry and FallbackClassifier threshold."""
    pipeline = yaml.safe_load((REPO / "config.yml").read_text(encoding="utf-8"))["pipeline"]
    nlu = next(step for step in pipeline if step["name"].endswith("JointBertNLU"))
    fallback = next(step for step in pipeline if step["name"] == "FallbackClassifier")
    return {**nlu, "fallback_threshold": float(fallback["threshold"])}


def train(data: Sequence[Path], out: Path, **overrides: Any) -> Path:
    """Fine-tune with the shipped settings (``overrides`` replace some); returns the exported folder."""
    settings = {**shipped_settings(), **overrides, "data": data_fingerprint(data)}
    if (out / "model.onnx").is_file() and (out / "settings.json").is_file() and json.loads((out / "settings.json").read_text()) == settings:
        log(f"{out.name}: reusing the model trained with the same settings in {out}")
        return out
    command = [sys.executable, "-m", "nlu.train", "--data", *map(str, data), "--out", str(out),
               "--epochs", str(settings["epochs"]), "--max-len", str(settings["max_len"]), "--pooling", settings["pooling"],
               "--threads", str(settings.get("threads", 1)), "--noise-rate", str(settings.get("noise_rate", 0.0))]
    if not settings.get("int8", True):
        command.append("--no-int8")
    log(f"training {out.name} on {len(data)} path(s)")
    started = time.perf_counter()
    subprocess.run(command, cwd=REPO, env=ENV, check=True)
    (out / "settings.json").write_text(json.dumps(settings, sort_keys=True))
    log(f"{out.name} trained in {time.perf_counter() - started:.0f} s")
    return out


def data_fingerprint(paths: Sequence[Path]) -> str:
    """SHA-256 of every training file under ``paths``: a model is reused only for the very same data."""
    digest = hashlib.sha256()
    for path in paths:
        for file in sorted(path.rglob("*.yml")) if path.is_dir() else [path]:
            digest.update(file.name.encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def files_at(rev: str, out: Path) -> Path:
    """training_data/nlu as it was at ``rev`` (git), written to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    names = subprocess.run(["git", "ls-tree", "--name-only", f"{rev}:training_data/nlu"], cwd=REPO, check=True,
                           capture_output=True, text=True).stdout.split()
    for name in names:
        if name.endswith(".yml"):
            text = subprocess.run(["git", "show", f"{rev}:training_data/nlu/{name}"], cwd=REPO, check=True,
                                  capture_output=True, text=True).stdout
            (out / name).write_text(text, encoding="utf-8")
    return out


def clinc_examples(split: str) -> list[tuple[str, str, str]]:
    """(text, our intent, CLINC intent) of a CLINC split; excluded intents dropped."""
    mapping = load_mapping()
    rows = []
    for text, clinc_intent in load_split(CLINC_DIR, split):
        target = mapping.target(clinc_intent)
        if target is not None:
            rows.append((text, target, clinc_intent))
    return rows


class Scorer:
    """An exported model read through nlu.runtime: logits, calibrated probabilities, tags."""

    def __init__(self, folder: Path) -> None:
        from nlu.runtime import JointNluRuntime

        self.runtime = JointNluRuntime(folder)
        self.intents = self.runtime.intents

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        from nlu.text import split_words

        rows = []
        for text in texts:
            prediction = self.runtime.predict_words([w.text for w in split_words(text)] or ["."])
            rows.append(prediction.intent_logits)
        return np.stack(rows)


def softmax(logits: np.ndarray, temperature: float) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature minimising the negative log-likelihood (a fine grid: one parameter, no optimiser needed)."""
    grid = np.exp(np.linspace(np.log(0.25), np.log(8.0), 400))
    nll = [-np.mean(np.log(softmax(logits, t)[np.arange(len(labels)), labels] + 1e-12)) for t in grid]
    return float(grid[int(np.argmin(nll))])


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    """ECE over equal-width confidence bins of the top intent."""
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    total = 0.0
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        inside = (confidence > low) & (confidence <= high)
        if inside.any():
            total += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(total)


def answered_out_of_scope(probs: np.ndarray, intents: list[str], threshold: float) -> np.ndarray:
    oos = intents.index(OUT_OF_SCOPE)
    return (probs.argmax(axis=1) == oos) | (probs.max(axis=1) < threshold)


def choose_threshold(probs: np.ndarray, labels: np.ndarray, intents: list[str]) -> float:
    """The fallback threshold that lets the assistant act wrongly least often on dev.

    A request is handled right when it is in scope and understood and acted on, in scope but
    misunderstood and answered with the fallback ("did you mean ...?" instead of a wrong action),
    or out of scope and declined; in-scope and out-of-scope requests weigh equally.
    """
    oos = intents.index(OUT_OF_SCOPE)
    in_scope = labels != oos
    correct = probs.argmax(axis=1) == labels
    best, best_score = 0.0, -1.0
    for threshold in np.linspace(0.0, 0.95, 96):
        rejected = answered_out_of_scope(probs, intents, threshold)
        right_in = ((correct & ~rejected) | (~correct & rejected))[in_scope].mean()
        right_out = rejected[~in_scope].mean()
        score = (right_in + right_out) / 2
        if score > best_score + 1e-9:
            best, best_score = float(threshold), float(score)
    return best


def held_out_examples() -> list[Any]:
    from nlu.data import read_rasa_nlu

    return read_rasa_nlu([HELD_OUT])


def stage_nlu(work: Path, before_rev: str) -> None:
    from benchmarks.shop_dev_split import write_split
    from nlu.data import Example
    from nlu.evaluate import evaluate_folder
    from nlu.noise import noise_words

    clinc_files = sorted(NLU_DATA.glob("clinc_*.yml"))
    before = train([files_at(before_rev, work / "before-data")], work / "before")
    split = work / "shop-split"
    write_split(split)
    dev_model = train([split / "train", *clinc_files], work / "dev")
    after = train([NLU_DATA], work / "after")

    # --- calibration on dev: shop dev fifth + CLINC val --------------------------------------------
    scorer = Scorer(dev_model)
    intents = scorer.intents
    from nlu.data import read_rasa_nlu

    shop_dev = [(" ".join(e.words), e.intent) for e in read_rasa_nlu([split / "dev"]) if e.intent in intents]
    clinc_val = [(t, i) for t, i, _ in clinc_examples("val") if i in intents]
    dev = shop_dev + clinc_val
    dev_logits = scorer.logits([t for t, _ in dev])
    dev_labels = np.array([intents.index(i) for _, i in dev])
    temperature = fit_temperature(dev_logits, dev_labels)
    threshold = choose_threshold(softmax(dev_logits, temperature), dev_labels, intents)
    log(f"dev: temperature {temperature:.3f}, threshold {threshold:.2f} ({len(shop_dev)} shop + {len(clinc_val)} CLINC val)")

    # --- test: the after model -------------------------------------------------------------------
    final = Scorer(after)
    intents = final.intents
    test = clinc_examples("test")
    test_logits = final.logits([t for t, _, _ in test])
    test_probs = softmax(test_logits, temperature)
    oos_answer = answered_out_of_scope(test_probs, intents, threshold)
    is_clinc_oos = np.array([c == "oos" for _, _, c in test])
    mapped_oos = np.array([i == OUT_OF_SCOPE and c != "oos" for _, i, c in test])
    mapped_ours = np.array([i != OUT_OF_SCOPE for _, i, _ in test])
    predicted = [intents[k] for k in test_probs.argmax(axis=1)]
    mapped_right = [predicted[n] == test[n][1] and not oos_answer[n] for n in range(len(test)) if mapped_ours[n]]

    held = held_out_examples()
    held_texts = [" ".join(e.words) for e in held]
    held_logits = final.logits(held_texts)
    held_labels = np.array([intents.index(e.intent) for e in held])
    before_scores = evaluate_folder(before, held)
    after_scores = evaluate_folder(after, held)

    calibration_logits = np.concatenate([test_logits, held_logits])
    calibration_labels = np.concatenate([np.array([intents.index(i) for _, i, _ in test]), held_labels])
    rng = random.Random(NOISE_SEED)
    noisy = [Example(tuple(noise_words(e.words, rng)), e.tags, e.intent) for e in held]
    noisy_scores = evaluate_folder(after, noisy)
    merge_results("robustness", {
        "machine": machine(),
        "protocol": __doc__.split("Writes", 1)[1].strip(),
        "oos": {
            "clinc_oos_recall": rate(oos_answer[is_clinc_oos].tolist()),
            "clinc_inscope_rejected": rate(oos_answer[mapped_oos].tolist()),
            "clinc_mapped_accuracy": rate(mapped_right),
            "shop_heldout_intent_accuracy": {"before": before_scores["intent_accuracy"], "after": after_scores["intent_accuracy"],
                                             "n": len(held), "before_rev": before_rev},
            "shop_heldout_slot_f1": {"before": before_scores["slot_f1"], "after": after_scores["slot_f1"]},
            "shop_heldout_inscope_not_declined": rate([not declined for declined, example in zip(
                answered_out_of_scope(softmax(held_logits, temperature), intents, threshold), held, strict=True)
                if example.intent != OUT_OF_SCOPE]),
        },
        "calibration": {
            "temperature": temperature, "threshold": threshold, "dev_examples": len(dev),
            "ece_before": expected_calibration_error(softmax(calibration_logits, 1.0), calibration_labels),
            "ece_after": expected_calibration_error(softmax(calibration_logits, temperature), calibration_labels),
            "ece_scored_on": f"CLINC test + oos_test ({len(test)}) and the shop held-out set ({len(held)})",
        },
        "typo": {
            "clean": {k: after_scores[k] for k in ("intent_accuracy", "slot_f1")},
            "noised": {k: noisy_scores[k] for k in ("intent_accuracy", "slot_f1")},
            "intent_accuracy_drop": after_scores["intent_accuracy"] - noisy_scores["intent_accuracy"],
            "slot_f1_drop": after_scores["slot_f1"] - noisy_scores["slot_f1"],
            "noise": f"nlu/noise.py, seed {NOISE_SEED}, rate 0.25 of words with 4+ letters, at least one per sentence",
        },
    })
    log("nlu stage written to benchmarks/results/robustness.json")


def stage_choose(work: Path) -> None:
    """Typing-noise share and epochs, chosen on dev only: the template-disjoint shop fifth (clean and
    typo-noised with seed 7, not the test seed) and CLINC's val split; the held-out set takes no part."""
    from benchmarks.shop_dev_split import write_split
    from nlu.data import Example, read_rasa_nlu
    from nlu.evaluate import evaluate_folder
    from nlu.noise import noise_words

    split = work / "shop-split"
    write_split(split)
    clinc_files = sorted(NLU_DATA.glob("clinc_*.yml"))
    shop_dev = read_rasa_nlu([split / "dev"])
    rng = random.Random(7)
    shop_dev_noisy = [Example(tuple(noise_words(e.words, rng)), e.tags, e.intent) for e in shop_dev]
    clinc_val = clinc_examples("val")
    runs = []
    for noise_rate in (0.25, 0.5):
        for epochs in (3, 4):
            folder = train([split / "train", *clinc_files], work / f"choose-{noise_rate}-{epochs}", noise_rate=noise_rate, epochs=epochs)
            clean, noisy = evaluate_folder(folder, shop_dev), evaluate_folder(folder, shop_dev_noisy)
            scorer = Scorer(folder)
            predicted = scorer.logits([t for t, _, _ in clinc_val]).argmax(axis=1)
            clinc_right = float(np.mean([scorer.intents[p] == i for p, (_, i, _) in zip(predicted, clinc_val, strict=True)]))
            score = (clean["intent_accuracy"] + noisy["intent_accuracy"] + clinc_right) / 3
            runs.append({"noise_rate": noise_rate, "epochs": epochs, "shop_dev_intent": clean["intent_accuracy"],
                         "shop_dev_noised_intent": noisy["intent_accuracy"], "shop_dev_slot_f1": clean["slot_f1"],
                         "clinc_val_intent": clinc_right, "score": score})
            log(f"noise {noise_rate}, {epochs} epochs: {runs[-1]}")
    best = max(runs, key=lambda r: r["score"])
    merge_results("robustness", {"choice": {"runs": runs, "chosen": {"noise_rate": best["noise_rate"], "epochs": best["epochs"]},
                                            "protocol": stage_choose.__doc__.replace("\n    ", " ")}})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stages", nargs="+", default=["nlu", "catalog"], choices=["choose", "nlu", "catalog"])
    parser.add_argument("--before-rev", default=BEFORE_REV)
    parser.add_argument("--work", type=Path, default=None, help="keep the trained models here (default: a temporary folder)")
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="robustness-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        if "choose" in args.stages:
            stage_choose(work)
        if "nlu" in args.stages:
            stage_nlu(work, args.before_rev)
        if "catalog" in args.stages:
            from benchmarks.out_of_catalog import stage_catalog

            stage_catalog()
    data = json.loads((REPO / "benchmarks" / "results" / "robustness.json").read_text())
    log(f"done in {time.perf_counter() - started:.0f} s: {json.dumps({k: data[k] for k in data if k in ('oos', 'typo')})[:400]}")


if __name__ == "__main__":
    main()
