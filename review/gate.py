"""``make retrain``: export the reviewed data, retrain, and ship the model only if it is not worse.

    python -m review.gate [--data-root DIR] [--current MODEL] [--max-drop 2.0] [--alpha 0.05] [--no-export]

Stages (each prints its time; the last line is the verdict):
  1. export the corrections, test stories and relevance labels from the database (``review.export``);
  2. ``rasa train`` on the data root's ``training_data`` into ``var/review/candidates``;
  3. parse the frozen held-out set and every reviewed message with the running model and the
     candidate (``bot.parse_texts``, Rasa environment);
  4. ``rasa test core`` on every test story, the reviewed ones among them, with the candidate;
  5. verdict: shipped into ``models/`` (the newest model there is the one ``make run`` serves), or
     refused, exit code 1, with the numbers.

Refused when any test story fails (a reviewed story most of all), or when the candidate does worse on
the frozen held-out set: significantly more held-out messages go from right to wrong than from wrong to
right (a one-sided exact sign test on the messages the two models disagree on, p < ``--alpha``), for
intents or for entities, or intent accuracy or entity F1 falls by more than ``--max-drop`` points.
Why a test and not a fixed 0.5-point bar: retraining moves messages both ways by itself. Six reviewed
search lines once moved 13 of the 245 held-out messages (5 fixed, 8 broken: goodbyes, thanks, paging),
a -1.2 point swing that no correction caused; a bar below the noise would refuse every retrain.
Why compare with the running model in the same run rather than with a stored figure: both models are
then parsed by the same code on the same machine, so the difference is the models' alone.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shop.settings import REPO_ROOT, Settings, get_settings

RASA_PYTHON = REPO_ROOT / ".venv-rasa" / "bin" / "python"
STORIES = Path("tests/conversations")
REVIEWED_NLU = Path("training_data/nlu/reviewed.yml")
REVIEWED_STORY = re.compile(r"^\s*- story: (reviewed conversation \d+)\s*$", re.M)
ANY_STORY = re.compile(r"^\s*- story: (.+?)\s*$", re.M)


class GateError(RuntimeError):
    """A stage could not run (not a refusal): the message says which and why."""


@dataclass
class Verdict:
    """Everything the gate measured, written as JSON next to its decision."""

    candidate: str
    current: str
    shipped: bool = False
    reasons: list[str] = field(default_factory=list)
    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    # Per held-out message and model: was the intent right, were the entities right.
    right: dict[str, dict[str, list[bool]]] = field(default_factory=dict)
    # Per kind ("intent", "entities"): messages fixed and broken by the candidate, and the sign test's p.
    changes: dict[str, dict[str, float]] = field(default_factory=dict)
    corrected: dict[str, Any] = field(default_factory=dict)
    stories: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    export: str = ""

    def delta(self, metric: str) -> float:
        """Candidate minus running model, in points."""
        return 100 * (self.scores["candidate"][metric] - self.scores["current"][metric])


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"PYTHONPATH": str(REPO_ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                "RASA_TELEMETRY_ENABLED": "false", "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "TF_CPP_MIN_LOG_LEVEL": "2"})
    return env


def run(command: list[str], *, quiet: bool = False) -> subprocess.CompletedProcess[str]:
    """Run a stage's command from the repository (Rasa's cache is shared with ``make train``)."""
    result = subprocess.run(command, cwd=REPO_ROOT, env=environment(), text=True,
                            stdout=subprocess.PIPE if quiet else None, stderr=subprocess.STDOUT if quiet else None)
    return result


def newest_model(models_dir: Path) -> Path:
    found = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not found:
        raise GateError(f"no model in {models_dir} to compare with; run `make train` first")
    return found[-1]


def snapshot(data_root: Path) -> dict[Path, bytes | None]:
    """The exported files (and the documented counts) as they are, to put back if the model is refused."""
    from review.export import NLU_FILE, RELEVANCE_FILE, STORIES_FILE

    paths = [data_root / p for p in (NLU_FILE, STORIES_FILE, RELEVANCE_FILE, Path("training_data/nlu/README.md"))]
    return {path: path.read_bytes() if path.is_file() else None for path in paths}


def restore(saved: dict[Path, bytes | None]) -> None:
    """Put the files back: a refused export must not reach the next `make train` (which has no gate)."""
    for path, content in saved.items():
        if content is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(content)


def export_reviewed(settings: Settings, data_root: Path) -> str:
    """Stage 1: the database's reviewed data into ``data_root``'s files; returns the export's summary."""
    from sqlalchemy.orm import Session

    from retrieval.mapping import load_mapping
    from retrieval.store import make_engine
    from review.db import migrate
    from review.export import export_all

    engine = make_engine(settings.resolved_database_url)
    try:
        migrate(engine)
        with Session(engine) as session:
            report = export_all(session, root=data_root, catalog=load_mapping(settings.catalog_mapping).name)
    finally:
        engine.dispose()
    counts = data_root / "scripts" / "nlu_data_report.py"
    if counts.is_file():  # the documented counts follow the data (`make test` checks them)
        subprocess.run([sys.executable, str(counts)], cwd=data_root, env=environment(), check=False)
    return report.summary()


def train(data_root: Path, out: Path) -> Path:
    """Stage 2: ``rasa train`` (unchanged parts come from Rasa's cache)."""
    out.mkdir(parents=True, exist_ok=True)
    name = time.strftime("%Y%m%d-%H%M%S-reviewed")
    result = run([str(RASA_PYTHON), "-m", "rasa", "train", "--config", str(REPO_ROOT / "config.yml"),
                  "--domain", str(REPO_ROOT / "bot" / "domain"), "--data", str(data_root / "training_data"),
                  "--out", str(out), "--fixed-model-name", name])
    model = out / f"{name}.tar.gz"
    if result.returncode != 0 or not model.is_file():
        raise GateError(f"`rasa train` failed (exit {result.returncode}); its output is above")
    return model


def parse(model: Path, texts: list[str], work: Path) -> list[dict[str, Any]]:
    """Rasa's own parse of each text with ``model`` (Rasa environment)."""
    source, out = work / "texts.json", work / f"{model.name}.parsed.jsonl"
    source.write_text(json.dumps(texts), encoding="utf-8")
    result = run([str(RASA_PYTHON), "-m", "bot.parse_texts", str(model), str(source), str(out)], quiet=True)
    if result.returncode != 0:
        raise GateError(f"parsing with {model.name} failed: {(result.stdout or '')[-800:]}")
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def score_models(verdict: Verdict, models: dict[str, Path], data_root: Path, work: Path) -> None:
    """Stage 3: held-out scores of both models, and how many reviewed messages each gets right."""
    from nlu.data import iter_rasa_nlu, spans_to_tags
    from nlu.metrics import best_real_intent, parse_matches, parsed_spans, score_rasa_parses
    from review.export import HELD_OUT_FILE

    held_out = list(iter_rasa_nlu([HELD_OUT_FILE]))
    reviewed = list(iter_rasa_nlu([data_root / REVIEWED_NLU])) if (data_root / REVIEWED_NLU).is_file() else []
    texts = [t for t, _, _ in held_out] + [t for t, _, _ in reviewed]
    for name, model in models.items():
        parsed = parse(model, texts, work)
        verdict.scores[name] = {k: round(v, 4) for k, v in score_rasa_parses(held_out, parsed[: len(held_out)]).items()}
        verdict.right[name] = {
            "intent": [best_real_intent(p) == i for (_, _, i), p in zip(held_out, parsed[: len(held_out)], strict=True)],
            "entities": [spans_to_tags(t, s)[1] == spans_to_tags(t, parsed_spans(p))[1]
                         for (t, s, _), p in zip(held_out, parsed[: len(held_out)], strict=True)],
        }
        fixed = [parse_matches(t, s, i, p) for (t, s, i), p in zip(reviewed, parsed[len(held_out):], strict=True)]
        verdict.corrected[f"parsed_as_corrected_{name}"] = sum(fixed)
    verdict.corrected["count"] = len(reviewed)


def test_stories(model: Path, data_root: Path, out: Path) -> dict[str, Any]:
    """Stage 4: every test story with the candidate; the names of the failed ones."""
    result = run([str(RASA_PYTHON), "-m", "bot.serve", "test", "core", "--model", str(model),
                  "--stories", str(data_root / STORIES), "--fail-on-prediction-errors", "--out", str(out)], quiet=True)
    failed_file = out / "failed_test_stories.yml"
    failed = ANY_STORY.findall(failed_file.read_text(encoding="utf-8")) if failed_file.is_file() else []
    if result.returncode != 0 and not failed:
        raise GateError(f"`rasa test core` failed without a story report (exit {result.returncode}): {(result.stdout or '')[-800:]}")
    reviewed = sorted(set(REVIEWED_STORY.findall("\n".join(f"- story: {name}" for name in failed))))
    total = len(ANY_STORY.findall("\n".join(p.read_text(encoding="utf-8") for p in sorted((data_root / STORIES).glob("*.yml")))))
    return {"total": total, "failed": failed, "reviewed_failed": reviewed}


def sign_test_p(broken: int, fixed: int) -> float:
    """One-sided exact sign test: the chance of at least ``broken`` of the changed messages breaking if
    breaking and fixing were equally likely (McNemar's exact test, one side)."""
    changed = broken + fixed
    if changed == 0:
        return 1.0
    return sum(math.comb(changed, k) for k in range(broken, changed + 1)) / 2**changed


def decide(verdict: Verdict, *, max_drop: float, alpha: float) -> None:
    """Stage 5: the reasons to refuse; none means ship."""
    for kind in ("intent", "entities"):
        before, after = verdict.right["current"][kind], verdict.right["candidate"][kind]
        fixed = sum(a and not b for a, b in zip(after, before, strict=True))
        broken = sum(b and not a for a, b in zip(after, before, strict=True))
        p = sign_test_p(broken, fixed)
        verdict.changes[kind] = {"fixed": fixed, "broken": broken, "p": round(p, 4)}
        if p < alpha:
            verdict.reasons.append(f"held-out {kind} significantly worse: {broken} messages broken, {fixed} fixed (p = {p:.3f})")
    for metric, label in (("intent_accuracy", "held-out intent accuracy"), ("slot_f1", "held-out entity F1")):
        if verdict.delta(metric) < -max_drop:
            verdict.reasons.append(f"{label} fell {verdict.delta(metric):+.1f} points "
                                   f"({100 * verdict.scores['current'][metric]:.1f} → {100 * verdict.scores['candidate'][metric]:.1f} %, "
                                   f"at most {max_drop} allowed)")
    if verdict.stories.get("reviewed_failed"):
        verdict.reasons.append(f"reviewed stories fail: {', '.join(verdict.stories['reviewed_failed'])}")
    other = [s for s in verdict.stories.get("failed", []) if s not in verdict.stories.get("reviewed_failed", [])]
    if other:
        verdict.reasons.append(f"{len(other)} other test stories fail: {', '.join(other[:5])}")
    verdict.shipped = not verdict.reasons


def summary(verdict: Verdict) -> str:
    c = verdict.corrected
    moved = verdict.changes.get("intent", {})
    figures = (f"held-out intent {100 * verdict.scores['candidate']['intent_accuracy']:.1f} % ({verdict.delta('intent_accuracy'):+.1f}; "
               f"{moved.get('fixed', 0):.0f} messages fixed, {moved.get('broken', 0):.0f} broken), "
               f"entity F1 {100 * verdict.scores['candidate']['slot_f1']:.1f} % ({verdict.delta('slot_f1'):+.1f}); "
               f"reviewed messages parsed as corrected {c.get('parsed_as_corrected_candidate', 0)}/{c.get('count', 0)} "
               f"(running model {c.get('parsed_as_corrected_current', 0)}); "
               f"stories {verdict.stories['total'] - len(verdict.stories['failed'])}/{verdict.stories['total']} pass")
    if verdict.shipped:
        return f"SHIPPED {Path(verdict.candidate).name}: {figures}. Restart the assistant (`make run`) to serve it."
    return f"REFUSED {Path(verdict.candidate).name}: {'; '.join(verdict.reasons)}. Measured: {figures}. The running model stays."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m review.gate", description=__doc__.split("\n")[0])
    parser.add_argument("--data-root", type=Path, default=None, help="folder with training_data/ and tests/ (default: the project)")
    parser.add_argument("--current", type=Path, default=None, help="the running model (default: the newest in --models-dir)")
    parser.add_argument("--models-dir", type=Path, default=None, help="default: SHOP_MODELS_DIR (models/)")
    parser.add_argument("--max-drop", type=float, default=2.0, help="points of held-out intent accuracy or entity F1 a new model may lose")
    parser.add_argument("--alpha", type=float, default=0.05, help="refuse when the held-out messages broken outnumber those fixed this significantly")
    parser.add_argument("--no-export", action="store_true", help="train on the files as they are")
    args = parser.parse_args(argv)
    settings = get_settings()
    args.models_dir = args.models_dir or settings.models_dir
    data_root = (args.data_root or settings.review_export_dir).resolve()
    work = settings.var_dir / "review"
    started = time.perf_counter()
    saved = snapshot(data_root)
    try:
        current = args.current or newest_model(args.models_dir)
        export = "files used as they are" if args.no_export else export_reviewed(settings, data_root)
        print(f"[1/5] export: {export}", flush=True)
        t0 = time.perf_counter()
        candidate = train(data_root, work / "candidates")
        verdict = Verdict(candidate=str(candidate), current=str(current), export=export)
        verdict.seconds["train"] = round(time.perf_counter() - t0, 1)
        print(f"[2/5] trained {candidate.name} in {verdict.seconds['train']:.0f} s", flush=True)
        t0 = time.perf_counter()
        score_models(verdict, {"current": current, "candidate": candidate}, data_root, work)
        verdict.seconds["score"] = round(time.perf_counter() - t0, 1)
        print(f"[3/5] scored both models on {verdict.scores['candidate']['count']:.0f} held-out and "
              f"{verdict.corrected['count']} reviewed messages in {verdict.seconds['score']:.0f} s", flush=True)
        t0 = time.perf_counter()
        verdict.stories = test_stories(candidate, data_root, work / "stories")
        verdict.seconds["stories"] = round(time.perf_counter() - t0, 1)
        print(f"[4/5] {verdict.stories['total']} test stories, {len(verdict.stories['failed'])} failed, "
              f"in {verdict.seconds['stories']:.0f} s", flush=True)
    except GateError as error:
        restore(saved)
        put_back = "" if args.no_export else " (the exported files were put back as they were)"
        print(f"retrain gate: {error}{put_back}", file=sys.stderr)
        return 2
    decide(verdict, max_drop=args.max_drop, alpha=args.alpha)
    if not verdict.shipped and not args.no_export:
        restore(saved)  # the corrections stay in the database for the next try
    verdict.seconds["total"] = round(time.perf_counter() - started, 1)
    if verdict.shipped:
        args.models_dir.mkdir(parents=True, exist_ok=True)
        shipped = args.models_dir / candidate.name
        shutil.move(str(candidate), shipped)
        verdict.candidate = str(shipped)
    record = {"model": verdict.candidate, "current": verdict.current, "shipped": verdict.shipped, "reasons": verdict.reasons,
              "candidate": verdict.scores["candidate"], "running": verdict.scores["current"], "held_out_changes": verdict.changes,
              "corrected": verdict.corrected,
              "stories": verdict.stories, "seconds": verdict.seconds, "export": verdict.export,
              "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    work.mkdir(parents=True, exist_ok=True)
    with (work / "retrains.jsonl").open("a", encoding="utf-8") as log:
        log.write(json.dumps(record) + "\n")
    if verdict.shipped:
        (work / "last_retrain.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"[5/5] {summary(verdict)} ({verdict.seconds['total']:.0f} s in all)", flush=True)
    return 0 if verdict.shipped else 1


if __name__ == "__main__":
    sys.exit(main())
