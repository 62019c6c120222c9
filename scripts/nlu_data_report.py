"""Rewrite the example-count tables of ``training_data/nlu/README.md`` from the data itself.

Why: the counts per intent are part of the documented contract of the training data; writing
them by hand drifts as soon as a template or an example changes. Run it after
``scripts/augment_nlu.py`` (or any hand edit); ``--check`` exits 1 when the README is stale.

    .venv-ml/bin/python scripts/nlu_data_report.py [--check]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from nlu.data import iter_rasa_nlu  # noqa: E402

DATA = REPO / "training_data" / "nlu"
HELDOUT = REPO / "tests" / "nlu" / "heldout.yml"
README = DATA / "README.md"
START, END = "<!-- counts:start -->", "<!-- counts:end -->"


def count_tables() -> str:
    """Markdown: examples per intent (hand-written / generated / CLINC150 / reviewed / held-out), then entity labels."""
    sources: dict[str, Counter[str]] = {"hand": Counter(), "generated": Counter(), "clinc": Counter(), "reviewed": Counter()}
    labels: Counter[str] = Counter()
    for file in sorted(DATA.glob("*.yml")):
        kind = ("generated" if file.name.startswith("generated_") else "clinc" if file.name.startswith("clinc_")
                else "reviewed" if file.name == "reviewed.yml" else "hand")
        for _, spans, intent in iter_rasa_nlu([file]):
            sources[kind][intent] += 1
            labels.update(span.label for span in spans)
    heldout = Counter(intent for _, _, intent in iter_rasa_nlu([HELDOUT]))
    total = Counter[str]()
    for counts in sources.values():
        total.update(counts)
    intents = sorted(total, key=lambda name: (-total[name], name))
    hand, generated, clinc, reviewed = sources["hand"], sources["generated"], sources["clinc"], sources["reviewed"]
    rows = ["| intent | hand-written | generated | CLINC150 | reviewed | total | held-out |", "|---|---:|---:|---:|---:|---:|---:|"]
    rows += [f"| {name} | {hand[name]} | {generated[name]} | {clinc[name]} | {reviewed[name]} | {total[name]} | {heldout[name]} |"
             for name in intents]
    rows.append(f"| **all** | {sum(hand.values())} | {sum(generated.values())} | {sum(clinc.values())} | {sum(reviewed.values())} | "
                f"{sum(total.values())} | {sum(heldout.values())} |")
    rows += ["", "Entity annotations (label = entity or entity.role):", "", "| label | count |", "|---|---:|"]
    rows += [f"| {label} | {count} |" for label, count in sorted(labels.items(), key=lambda item: (-item[1], item[0]))]
    return "\n".join(rows)


def main() -> int:
    """Replace the block between the count markers; with ``--check`` only compare."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the README tables are out of date")
    args = parser.parse_args()
    text = README.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise SystemExit(f"{README} lacks the {START} / {END} markers")
    updated = pattern.sub(lambda _: f"{START}\n{count_tables()}\n{END}", text)
    if args.check:
        if updated != text:
            print(f"{README.relative_to(REPO)} is out of date: run scripts/nlu_data_report.py", file=sys.stderr)
            return 1
        print("training data counts are up to date")
        return 0
    README.write_text(updated, encoding="utf-8")
    print(f"updated {README.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
