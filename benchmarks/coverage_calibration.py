"""Fit the "does the shop carry it?" model (retrieval/coverage.py) on the demo catalog, and report how well it decides.

Protocol (every choice is made on the tuning half; the evaluation half is only scored):
1. Ingest the demo catalog into a temporary store and open a Retriever over it.
2. Build the requests of ``benchmarks/catalog_requests.py`` (labels from the source catalogs) and
   compute the coverage features of each, as the action server would: from the message's words.
3. Fit scikit-learn's LogisticRegression on the tuning half, its regularisation ``C`` chosen by
   5-fold cross-validation on that half (the C whose out-of-fold scores catch the most not-carried
   requests at the threshold of step 4).
4. Choose the threshold on out-of-fold probabilities of the tuning half (so the threshold does not
   lean on scores of requests the weights were fitted on): the highest threshold that still lets
   at least ``TARGET_CARRIED_PASS`` of carried requests through.
5. Write ``retrieval/coverage_model.json`` (weights, bias, threshold, what they were fitted on) and
   ``benchmarks/results/coverage_calibration.json``: on both halves, the share of carried requests
   that pass and of not-carried ones that are caught, with 95 % bootstrap intervals, per source
   and for requests with and without a typing error.

Usage: .venv-ml/bin/python benchmarks/coverage_calibration.py [--per-class 1200] [--var-dir DIR]
(about 2 minutes on 2 cores: the ingest is most of it; ``--var-dir`` reuses an ingested store).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from benchmarks.catalog_requests import Request, build_requests  # noqa: E402
from benchmarks.measure import RESULTS_DIR, machine, rate  # noqa: E402
from retrieval.coverage import FEATURES, MODEL_FILE, CatalogCoverage, CoverageModel  # noqa: E402

TARGET_CARRIED_PASS = 0.985
MIN_PER_CLASS = 300
C_GRID = (0.3, 1.0, 3.0, 10.0)
FOLDS = 5


def open_demo(var_dir: Path) -> Any:
    """A Retriever over the demo catalog ingested (incrementally) into ``var_dir``."""
    from retrieval import Retriever
    from retrieval.ingest import ingest
    from shop.settings import REPO_ROOT, Settings

    settings = Settings(var_dir=var_dir, catalog_path=REPO_ROOT / "data" / "demo_catalog.csv",
                        catalog_mapping=REPO_ROOT / "retrieval" / "mappings" / "demo.yml", database_url="")
    started = time.perf_counter()
    report = ingest(settings)
    print(f"[coverage] {report.summary()} ({time.perf_counter() - started:.0f} s)", flush=True)
    return Retriever.open(settings)


def feature_matrix(coverage: CatalogCoverage, requests: Sequence[Request], label: str) -> np.ndarray:
    """One row of ``FEATURES`` per request, with a progress line every few hundred requests."""
    rows = []
    started = time.perf_counter()
    for number, request in enumerate(requests, 1):
        features = coverage.features(request.text)
        rows.append([features[name] for name in FEATURES])
        if number % 250 == 0 or number == len(requests):
            elapsed = time.perf_counter() - started
            print(f"[coverage] {label}: {number}/{len(requests)} requests, {elapsed:.0f} s", flush=True)
    return np.asarray(rows, dtype=np.float64)


def choose_threshold(carried_probabilities: np.ndarray, target: float) -> float:
    """The highest threshold under which at most ``1 - target`` of carried requests fall."""
    ordered = np.sort(carried_probabilities)
    allowed = int(np.floor((1.0 - target) * len(ordered)))
    return float(ordered[allowed])


def from_origin(origin: str, request: Request) -> bool:
    return request.origin == origin


def scores(requests: Sequence[Request], passed: np.ndarray, seed: int) -> dict[str, Any]:
    """Carried requests passed and not-carried ones caught, overall, per source catalog and by typing error."""
    def group(keep: Callable[[Request], bool]) -> dict[str, Any]:
        carried = [bool(p) for r, p in zip(requests, passed, strict=True) if r.carried and keep(r)]
        caught = [not p for r, p in zip(requests, passed, strict=True) if not r.carried and keep(r)]
        return {"carried_pass_rate": rate(carried, seed=seed), "not_carried_caught_rate": rate(caught, seed=seed)}

    result = group(lambda r: True)
    result["by_origin"] = {origin: group(partial(from_origin, origin)) for origin in sorted({r.origin for r in requests})}
    result["with_typo"] = group(lambda r: r.typo)
    result["without_typo"] = group(lambda r: not r.typo)
    return result


def mistakes(requests: Sequence[Request], probabilities: np.ndarray, passed: np.ndarray, limit: int = 25) -> list[dict[str, Any]]:
    """The most confident wrong decisions, for reading."""
    wrong = [i for i, r in enumerate(requests) if bool(passed[i]) != r.carried]
    wrong.sort(key=lambda i: -abs(probabilities[i] - 0.5))
    return [{"text": requests[i].text, "carried": requests[i].carried, "source": requests[i].source,
             "probability": round(float(probabilities[i]), 3)} for i in wrong[:limit]]


def main(argv: list[str] | None = None) -> int:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-class", type=int, default=1200, help="requests drawn per class before the split (about half are tuning)")
    parser.add_argument("--seed", type=int, default=5, help="seed of the request sample (templates, typing errors)")
    parser.add_argument("--var-dir", type=Path, default=None, help="reuse (and update) an ingested store here instead of a temporary one")
    parser.add_argument("--model-out", type=Path, default=MODEL_FILE)
    parser.add_argument("--results-out", type=Path, default=RESULTS_DIR / "coverage_calibration.json")
    args = parser.parse_args(argv)
    started = time.perf_counter()

    requests = build_requests(args.per_class, seed=args.seed)
    halves = {name: [r for r in requests if r.split == name] for name in ("tune", "eval")}
    tune_counts = {label: sum(r.carried == (label == "carried") for r in halves["tune"]) for label in ("carried", "not_carried")}
    if min(tune_counts.values()) < MIN_PER_CLASS:
        raise SystemExit(f"Only {tune_counts} tuning requests; at least {MIN_PER_CLASS} per class are needed (raise --per-class).")
    print(f"[coverage] requests: tune {tune_counts}, eval {len(halves['eval'])}", flush=True)

    with tempfile.TemporaryDirectory(prefix="coverage-") as scratch:
        retriever = open_demo(args.var_dir or Path(scratch))
        placeholder = CoverageModel(weights=dict.fromkeys(FEATURES, 0.0), bias=0.0, threshold=0.5)
        coverage = CatalogCoverage(retriever, model=placeholder)
        matrices = {name: feature_matrix(coverage, reqs, name) for name, reqs in halves.items()}
        catalog_size = coverage.size

    x_tune = matrices["tune"]
    y_tune = np.asarray([r.carried for r in halves["tune"]])
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=args.seed)
    grid: dict[float, tuple[float, float, np.ndarray]] = {}  # C -> (caught, threshold, out-of-fold probabilities)
    for c in C_GRID:
        probabilities = cross_val_predict(LogisticRegression(C=c, max_iter=2000), x_tune, y_tune, cv=folds, method="predict_proba")[:, 1]
        cut = choose_threshold(probabilities[y_tune], TARGET_CARRIED_PASS)
        grid[c] = (float(np.mean(probabilities[~y_tune] < cut)), cut, probabilities)
    best_c = max(C_GRID, key=lambda c: (round(grid[c][0], 6), -c))
    _, threshold, out_of_fold = grid[best_c]
    print("[coverage] C chosen by cross-validation on tune: " + ", ".join(f"C={c}: caught {grid[c][0]:.3f}" for c in C_GRID)
          + f" -> C={best_c}", flush=True)
    classifier = LogisticRegression(C=best_c, max_iter=2000).fit(x_tune, y_tune)

    model = CoverageModel(
        weights={name: round(float(w), 6) for name, w in zip(FEATURES, classifier.coef_[0], strict=True)},
        bias=round(float(classifier.intercept_[0]), 6), threshold=round(threshold, 6),
        fitted_on={
            "script": "benchmarks/coverage_calibration.py", "catalog": "demo (data/demo_catalog.csv)", "products": catalog_size,
            "requests": "tuning half of benchmarks/catalog_requests.py", "carried": tune_counts["carried"],
            "not_carried": tune_counts["not_carried"], "per_class": args.per_class, "seed": args.seed,
            "classifier": f"sklearn LogisticRegression(C={best_c}), C from {list(C_GRID)} by {FOLDS}-fold cross-validation on tune",
            "threshold": f"{FOLDS}-fold out-of-fold probabilities on the tuning half; at least {TARGET_CARRIED_PASS:.1%} of carried requests pass",
        },
    )
    model.save(args.model_out)

    results: dict[str, Any] = {"protocol": __doc__.split("\n\n", 1)[1].split("\n\nUsage", 1)[0].strip(),
                               "model": {"weights": model.weights, "bias": model.bias, "threshold": model.threshold},
                               "target_carried_pass": TARGET_CARRIED_PASS, "catalog_products": catalog_size}
    for name, reqs in halves.items():
        probabilities = classifier.predict_proba(matrices[name])[:, 1]
        passed = probabilities >= threshold
        results[name] = {**scores(reqs, passed, seed=args.seed), "mistakes": mistakes(reqs, probabilities, passed)}
    results["tune"]["out_of_fold"] = scores(halves["tune"], out_of_fold >= threshold, seed=args.seed)
    results["c_grid"] = {str(c): {"out_of_fold_caught": round(grid[c][0], 4), "threshold": round(grid[c][1], 4)} for c in C_GRID}
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["machine"] = machine()
    args.results_out.parent.mkdir(parents=True, exist_ok=True)
    args.results_out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")

    def line(half: str) -> str:
        part = results[half]
        passed, caught = part["carried_pass_rate"], part["not_carried_caught_rate"]
        return (f"{half}: carried pass {passed['value']:.1%} [{passed['ci95_low']:.1%}, {passed['ci95_high']:.1%}] (n={passed['n']}), "
                f"not carried caught {caught['value']:.1%} [{caught['ci95_low']:.1%}, {caught['ci95_high']:.1%}] (n={caught['n']})")

    print(f"[coverage] threshold {threshold:.3f}; {line('tune')}; {line('eval')}; {results['seconds']:.0f} s; "
          f"wrote {args.model_out} and {args.results_out}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
