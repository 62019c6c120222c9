"""NLU benchmark: our joint BERT vs stock DIET on the held-out shop set, plus ATIS and SNIPS.

    .venv-ml/bin/python benchmarks/nlu_benchmark.py [--stages ours diet atis snips rasa_train]

Writes ``benchmarks/results/nlu.json`` (merged stage by stage, so a partial run keeps what it
measured). Both Rasa models are trained with ``rasa train nlu`` on ``training_data/nlu`` and
scored on ``tests/nlu/heldout.yml`` through Rasa itself; entity spans are turned into BIO tags
over the same words for both, so the slot F1 numbers are comparable. Rasa's component cache is
disabled so every timing includes the real fine-tune.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from nlu.data import iter_rasa_nlu  # noqa: E402
from nlu.metrics import score_rasa_parses  # noqa: E402

RESULTS = REPO / "benchmarks" / "results" / "nlu.json"
RASA = REPO / ".venv-rasa" / "bin" / "rasa"
RASA_PY = REPO / ".venv-rasa" / "bin" / "python"
BENCH_DATA = REPO.parent / "shared" / "data" / "benchmarks"
# JointBERT (Chen et al. 2019, BERT-base, 110M parameters), the figures this benchmark is read against
PUBLISHED_JOINTBERT = {
    "atis": {"intent_accuracy": 0.975, "slot_f1": 0.961, "sentence_accuracy": 0.882, "parameters_millions": 110},
    "snips": {"intent_accuracy": 0.986, "slot_f1": 0.970, "sentence_accuracy": 0.928, "parameters_millions": 110},
}
ENV = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "HF_HUB_OFFLINE": "1", "RASA_MAX_CACHE_SIZE": "0", "PYTHONPATH": str(REPO), "TQDM_MININTERVAL": "10"}


def _merge(update: dict[str, Any]) -> None:
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)  # e.g. heldout.ours next to heldout.diet
        else:
            data[key] = value
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    print(f"[nlu_benchmark] updated {RESULTS.relative_to(REPO)}: {', '.join(update)}", flush=True)


def _run(command: list[str]) -> tuple[float, str]:
    """Run a command from the repo root, streaming its output; return (seconds, output)."""
    print(f"[nlu_benchmark] $ {' '.join(command)}", flush=True)
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=REPO, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        print(line, end="", flush=True)
        lines.append(line)
    code = proc.wait()
    if code != 0:
        raise SystemExit(f"command failed ({code}): {' '.join(command)}")
    return time.perf_counter() - started, "".join(lines)


def _rasa_train_nlu(config: str, out: Path, name: str) -> tuple[Path, float, str]:
    seconds, output = _run([str(RASA), "train", "nlu", "--config", config, "--nlu", "training_data/nlu", "--out", str(out), "--fixed-model-name", name])
    return out / f"{name}.tar.gz", seconds, output


def _score_heldout(model: Path, work: Path) -> dict[str, Any]:
    gold = list(iter_rasa_nlu([REPO / "tests" / "nlu" / "heldout.yml"]))
    texts = work / "texts.json"
    texts.write_text(json.dumps([t for t, _, _ in gold]))
    parsed_file = work / f"{model.stem}.parsed.jsonl"
    _run([str(RASA_PY), "-m", "bot.parse_texts", str(model), str(texts), str(parsed_file)])
    parsed = [json.loads(line) for line in parsed_file.read_text().splitlines()]
    scores: dict[str, Any] = score_rasa_parses(gold, parsed)
    latencies = sorted(p["latency_ms"] for p in parsed)
    scores["rasa_parse_ms_p50"] = latencies[len(latencies) // 2]
    return scores


def extract_onnx_folder(model: Path, out: Path) -> Path:
    """The JointBertNLU export (model.onnx, tokenizer.json, nlu_config.json) of a Rasa model archive."""
    with tarfile.open(model) as tar:
        members = [m for m in tar.getmembers() if re.search(r"JointBertNLU[^/]*/(model\.onnx|tokenizer\.json|nlu_config\.json)$", m.name)]
        if len(members) != 3:
            raise SystemExit(f"{model} holds no JointBertNLU export (found {len(members)} of 3 files)")
        for member in members:
            member.name = Path(member.name).name
            tar.extract(member, out)
    return out


def stage_ours(work: Path) -> None:
    """Train our pipeline through Rasa, score it, and time the ONNX runtime alone."""
    model, seconds, output = _rasa_train_nlu("config.yml", work, "ours")
    summary = [json.loads(line) for line in output.splitlines() if line.startswith('{"out"')]
    scores = _score_heldout(model, work)
    onnx_dir = extract_onnx_folder(model, work / "ours-onnx")
    latency = _runtime_latency(onnx_dir)
    size_mb = (onnx_dir / "model.onnx").stat().st_size / 1e6
    _merge(
        {
            "heldout": {"ours": scores},
            "latency_ms": latency,
            "model_size_mb": round(size_mb, 2),
            "quantized_int8": bool(summary and summary[-1].get("quantized")),
            "training_seconds": summary[-1]["train_seconds"] if summary else None,
            "rasa_train_nlu_seconds": round(seconds, 1),
        }
    )


def _runtime_latency(folder: Path) -> dict[str, float]:
    """Batch 1, one thread, through nlu.runtime.parse on the held-out texts (after a warm-up)."""
    import numpy as np

    from nlu.runtime import JointNluRuntime

    runtime = JointNluRuntime(folder, threads=1)
    texts = [t for t, _, _ in iter_rasa_nlu([REPO / "tests" / "nlu" / "heldout.yml"])]
    for text in texts[:20]:
        runtime.parse(text)
    times = []
    for _ in range(3):
        for text in texts:
            started = time.perf_counter()
            runtime.parse(text)
            times.append((time.perf_counter() - started) * 1000)
    return {"p50": round(float(np.percentile(times, 50)), 3), "p95": round(float(np.percentile(times, 95)), 3)}


def stage_diet(work: Path, epochs: int) -> None:
    """Train and score the stock DIET pipeline on the same data (``epochs`` < 100 shortens it)."""
    config = REPO / "bot" / "diet_config.yml"
    if epochs != 100:  # a shortened copy, recorded in the results
        text = config.read_text().replace("    epochs: 100\n", f"    epochs: {epochs}\n")
        config = work / "diet_config.yml"
        config.write_text(text)
    model, seconds, _ = _rasa_train_nlu(str(config), work, "diet")
    scores = _score_heldout(model, work)
    scores["rasa_train_nlu_seconds"] = round(seconds, 1)
    scores["diet_epochs"] = epochs
    _merge({"heldout": {"diet": scores}})


def _seq_command(name: str, epochs: int, max_train: int, threads: int, out: Path, pooling: str) -> list[str]:
    command = [sys.executable, "-m", "nlu.bench_seq", "--dataset", str(BENCH_DATA / name), "--json", str(out)]
    command += ["--epochs", str(epochs), "--threads", str(threads), "--pooling", pooling]
    return command + (["--max-train", str(max_train)] if max_train else [])


# keys of one bench_seq run that describe that run (the rest of ``<dataset>`` is shared context)
RUN_KEYS = (
    "intent_accuracy",
    "slot_f1",
    "slot_precision",
    "slot_recall",
    "sentence_accuracy",
    "selected_epoch",
    "argmax_decoding",
    "last_epoch",
    "dev_curve",
    "train_seconds",
    "pooling",
)


def best_dev_score(run: dict[str, Any]) -> float:
    """The run's best dev intent accuracy + slot F1 over its epochs (what picked its epoch)."""
    return max((row["intent_accuracy"] + row["slot_f1"] for row in run.get("dev_curve", [])), default=-1.0)


def publish_dev_choice(entry: dict[str, Any]) -> dict[str, Any]:
    """Put the pooling variant with the best dev score at the top of a dataset's entry.

    Pooling is a hyperparameter like the epoch, so it is chosen the same way: on dev, per dataset,
    never on test. Every variant stays under ``pooling_variants`` for comparison.
    """
    variants = entry.get("pooling_variants", {})
    if not variants:
        return entry
    chosen = max(variants, key=lambda name: best_dev_score(variants[name]))
    published = {k: v for k, v in entry.items() if k not in RUN_KEYS}
    published.update({k: v for k, v in variants[chosen].items() if k in RUN_KEYS})
    published["pooling"] = chosen
    published["pooling_selection"] = "best dev intent accuracy + slot F1 among pooling_variants"
    return published


def stage_seq(name: str, epochs: int, max_train: int, threads: int, work: Path, poolings: list[str]) -> None:
    """ATIS or SNIPS: train on train, select epoch and pooling on dev, score on test (see nlu.bench_seq)."""
    for pooling in poolings:
        out = work / f"{name}-{pooling}.json"
        _run(_seq_command(name, epochs, max_train, threads, out, pooling))
        run = json.loads(out.read_text())
        data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        entry = data.get(name, {})
        context = {k: v for k, v in run.items() if k not in RUN_KEYS}
        entry.update({**context, "published_jointbert_base": PUBLISHED_JOINTBERT[name], "parameters_millions": 22.7})
        entry.setdefault("pooling_variants", {})[pooling] = {k: v for k, v in run.items() if k in RUN_KEYS}
        _merge({name: publish_dev_choice(entry)})


def _shipped_nlu_settings() -> dict[str, Any]:
    """The JointBertNLU entry of config.yml (epochs, max_len...), so comparisons train what ships."""
    import yaml

    pipeline = yaml.safe_load((REPO / "config.yml").read_text())["pipeline"]
    return next(step for step in pipeline if step["name"].endswith("JointBertNLU"))


def _shop_run(split: Path, pooling: str, seed: int, threads: int, work: Path) -> dict[str, Any]:
    """Fine-tune at the shipped settings on the split's train side; dev scores of the exported fp32 model."""
    shipped = _shipped_nlu_settings()
    out = work / f"shop-{pooling}-{seed}"
    command = [sys.executable, "-m", "nlu.train", "--data", str(split / "train"), "--eval", str(split / "dev"), "--out", str(out)]
    command += ["--epochs", str(shipped["epochs"]), "--max-len", str(shipped["max_len"]), "--pooling", pooling]
    command += ["--seed", str(seed), "--threads", str(threads), "--no-int8"]
    _, output = _run(command)
    final = json.loads([line for line in output.splitlines() if line.startswith('{"out"')][-1])
    return {key: final[key] for key in ("intent_accuracy", "slot_f1", "sentence_accuracy", "train_seconds")}


def stage_shop_pooling(seeds: list[int], threads: int, work: Path) -> None:
    """Mean vs [CLS] pooling for the shop model, decided on a template-disjoint dev split.

    The held-out test never takes part (see benchmarks/shop_dev_split.py); each variant is
    trained with the shipped settings and several seeds, and the mean of intent accuracy +
    slot F1 over the seeds decides.
    """
    from benchmarks.shop_dev_split import write_split

    split = work / "shop-split"
    counts = write_split(split)
    runs: dict[str, list[dict[str, Any]]] = {"mean": [], "cls": []}
    for seed in seeds:
        for pooling in runs:
            runs[pooling].append({"seed": seed, **_shop_run(split, pooling, seed, threads, work)})
    summary: dict[str, Any] = {}
    for pooling, rows in runs.items():
        average = {key: sum(r[key] for r in rows) / len(rows) for key in ("intent_accuracy", "slot_f1", "sentence_accuracy")}
        summary[pooling] = {**average, "runs": rows}
    score = {p: summary[p]["intent_accuracy"] + summary[p]["slot_f1"] for p in summary}
    summary["chosen"] = max(score, key=lambda p: score[p])
    summary["split"] = {side: sum(c.values()) for side, c in counts.items()}
    summary["protocol"] = f"template-disjoint dev (fold 0 of 5), config.yml's training settings, seeds {seeds}, mean of intent accuracy + slot F1"
    _merge({"shop_dev_pooling": summary})


def stage_rasa_train(work: Path) -> None:
    """Full ``rasa train`` (NLU + dialogue) of the project, when the dialogue data exists."""
    domain = next((p for p in (REPO / "bot" / "domain", REPO / "domain.yml") if p.exists()), None)
    if domain is None or not any((REPO / "training_data").glob("stories/*.yml")):
        _merge({"rasa_train_seconds": None, "rasa_train_note": "no domain/stories yet; see rasa_train_nlu_seconds"})
        return
    seconds, _ = _run(
        [str(RASA), "train", "--config", "config.yml", "--domain", str(domain), "--data", "training_data", "--out", str(work), "--fixed-model-name", "full"]
    )
    _merge({"rasa_train_seconds": round(seconds, 1), "rasa_train_note": "full rasa train, component cache off"})


def main() -> None:
    """Run the chosen stages in order."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stages", nargs="+", default=["ours", "diet", "atis", "snips", "rasa_train"], choices=["ours", "diet", "atis", "snips", "shop_pooling", "rasa_train"])
    parser.add_argument("--diet-epochs", type=int, default=100, help="DIET epochs (the stock pipeline has 100)")
    parser.add_argument("--atis-epochs", type=int, default=10)
    parser.add_argument("--snips-epochs", type=int, default=8)
    parser.add_argument("--snips-max-train", type=int, default=0)
    parser.add_argument("--poolings", nargs="+", default=["mean", "cls"], choices=["mean", "cls", "pooled"], help="ATIS/SNIPS variants; dev picks one")
    parser.add_argument("--shop-seeds", type=int, nargs="+", default=[13, 14, 15], help="seeds of the shop pooling comparison")
    parser.add_argument("--threads", type=int, default=2, help="torch threads of the ATIS/SNIPS runs (1 is faster on a busy machine)")
    parser.add_argument("--work", type=Path, default=None, help="folder for models (default: a temp dir)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="nlu-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    for stage in args.stages:
        started = time.perf_counter()
        if stage == "ours":
            stage_ours(work)
        elif stage == "diet":
            stage_diet(work, args.diet_epochs)
        elif stage == "atis":
            stage_seq("atis", args.atis_epochs, 0, args.threads, work, args.poolings)
        elif stage == "snips":
            stage_seq("snips", args.snips_epochs, args.snips_max_train, args.threads, work, args.poolings)
        elif stage == "shop_pooling":
            stage_shop_pooling(args.shop_seeds, args.threads, work)
        else:
            stage_rasa_train(work)
        print(f"[nlu_benchmark] stage {stage} done in {time.perf_counter() - started:.0f}s", flush=True)


if __name__ == "__main__":
    main()
