"""Score the trained model on the held-out NLU set with `rasa test nlu` and enforce the thresholds.

Why thresholds here and not only a report: a regression in the NLU model must fail the build.
The thresholds sit a little under the measured held-out figures (benchmarks/results/nlu.json).

Usage (Rasa environment): python scripts/check_nlu.py MODEL OUT_DIR
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
HELDOUT = REPO_ROOT / "tests" / "nlu" / "heldout.yml"
MIN_INTENT_ACCURACY = 0.83
MIN_ENTITY_F1 = 0.87
EXTRACTOR_REPORT = "JointBertNLU_report.json"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    model, out = argv
    command = [sys.executable, "-m", "rasa", "test", "nlu", "--model", model, "--nlu", str(HELDOUT), "--out", out]
    result = subprocess.run(command, cwd=REPO_ROOT, check=False)
    if result.returncode != 0:
        print(f"error: `{' '.join(command)}` failed with code {result.returncode}", file=sys.stderr)
        return 1
    intent = json.loads((Path(out) / "intent_report.json").read_text())
    entities = json.loads((Path(out) / EXTRACTOR_REPORT).read_text())
    accuracy = float(intent["accuracy"])
    f1 = float(entities["micro avg"]["f1-score"])
    ok = accuracy >= MIN_INTENT_ACCURACY and f1 >= MIN_ENTITY_F1
    print(f"held-out NLU: intent accuracy {accuracy:.3f} (min {MIN_INTENT_ACCURACY}), entity micro-F1 {f1:.3f} (min {MIN_ENTITY_F1}) -> {'passed' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
