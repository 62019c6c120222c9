"""Write the reviewed data in the project's own formats, with no customer id in any of it.

* NLU examples: ``training_data/nlu/reviewed.yml`` (Rasa markup; ``rasa train`` reads the folder);
* test stories: ``tests/conversations/test_reviewed.yml`` (``rasa test`` and the retrain gate run them);
* relevance labels: ``benchmarks/data/reviewed_relevance.jsonl`` (query, product, grade, catalog), an
  extra labelled set of ``benchmarks/retrieval_benchmark.py``.

The database is the source of truth: every export rewrites the three files from it, so a message
forgotten at a customer's request disappears from the next export. Messages that look like they
carry contact details, and lines that nearly repeat the frozen held-out set (which would inflate the
very score the gate checks), are withheld and counted.
"""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from nlu.data import example_lines
from nlu.overlap import near_duplicates
from review.markup import annotate, plain
from review.models import Correction, RelevanceMark, ReviewItem, ReviewStory
from shop.messages import REVIEWED_SOURCE
from shop.settings import REPO_ROOT

NLU_FILE = Path("training_data/nlu/reviewed.yml")
STORIES_FILE = Path("tests/conversations/test_reviewed.yml")
RELEVANCE_FILE = Path("benchmarks/data/reviewed_relevance.jsonl")
# The frozen held-out set is the project's own, whatever folder the export writes into.
HELD_OUT_FILE = REPO_ROOT / "tests" / "nlu" / "heldout.yml"
HEADER = ("# Written by the review loop (staff console export / `make retrain`) from reviewed conversations.\n"
          "# Do not edit by hand: correct the message in the console and export again.\n")
# An e-mail address, or a run of 7+ digits (phone, card or order numbers), possibly spaced or dashed.
CONTACT_DETAILS = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+|(?:\d[\s-]?){7,}")


@dataclass
class ExportReport:
    """What an export wrote and what it withheld, for the console and the gate's log."""

    examples: int = 0
    stories: int = 0
    relevance_labels: int = 0
    withheld_contact_details: int = 0
    withheld_held_out: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def summary(self) -> str:
        withheld = self.withheld_contact_details + len(self.withheld_held_out)
        return (f"exported {self.examples} NLU examples, {self.stories} test stories and {self.relevance_labels} relevance labels"
                + (f"; withheld {withheld} messages ({self.withheld_contact_details} with contact details, "
                   f"{len(self.withheld_held_out)} too close to the held-out set)" if withheld else ""))


def _write(path: Path, content: str | None) -> None:
    """Replace the file atomically, or remove it when there is nothing to write."""
    if content is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(content, encoding="utf-8")
    os.replace(partial, path)


def latest_corrections(session: Session) -> list[tuple[ReviewItem, Correction]]:
    """Each corrected item with its latest correction, oldest item first."""
    latest: dict[int, tuple[ReviewItem, Correction]] = {}
    for item, correction in session.execute(
        select(ReviewItem, Correction).join(Correction, Correction.item_id == ReviewItem.id).order_by(Correction.id)
    ).all():
        latest[item.id] = (item, correction)
    return [latest[k] for k in sorted(latest)]


def held_out_lines() -> list[str]:
    path = HELD_OUT_FILE
    return [line for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []
            for line in example_lines(str(block.get("examples", "")))]


def nlu_yaml(session: Session, report: ExportReport) -> str | None:
    """``nlu:`` blocks per intent; one line per distinct message (its latest correction wins)."""
    by_text: dict[str, tuple[str, str]] = {}
    for item, correction in latest_corrections(session):
        if CONTACT_DETAILS.search(item.text):
            report.withheld_contact_details += 1
            continue
        line = annotate(item.text, correction.entities)
        if plain(item.text):
            by_text[plain(item.text).lower()] = (correction.intent, line)
    too_close = {line for line, _, _ in near_duplicates([line for _, line in by_text.values()], held_out_lines())}
    report.withheld_held_out = sorted(too_close)
    by_intent: dict[str, list[str]] = defaultdict(list)
    for intent, line in by_text.values():
        if line not in too_close:
            by_intent[intent].append(line)
    report.examples = sum(len(v) for v in by_intent.values())
    if not by_intent:
        return None
    lines = [HEADER, 'version: "3.1"\n', "nlu:\n"]
    for intent in sorted(by_intent):
        # The metadata lets the NLU component weigh reviewed lines up (config.yml: reviewed_repeats).
        lines.append(f"- intent: {intent}\n  metadata:\n    source: {REVIEWED_SOURCE}\n  examples: |\n")
        lines += [f"    - {line}\n" for line in sorted(by_intent[intent])]
    return "".join(lines)


def story_lines(name: str, steps: list[dict[str, Any]]) -> list[str]:
    """One story in the layout of the hand-written test stories (customer text as a ``|`` block)."""
    lines = [f"  - story: {name}\n", "    steps:\n"]
    for step in steps:
        if "user" in step:
            lines += ["      - user: |\n", f"          {annotate(step['user'], step.get('entities') or [])}\n",
                      f"        intent: {step['intent']}\n"]
        elif "intent" in step:
            lines.append(f"      - intent: {step['intent']}\n")
            if step.get("entities"):
                lines.append("        entities:\n")
                lines += [f"          - {key}: {json.dumps(value)}\n" for entity in step["entities"] for key, value in entity.items()]
        elif "action" in step:
            lines.append(f"      - action: {step['action']}\n")
        elif "active_loop" in step:
            lines.append(f"      - active_loop: {step['active_loop'] or 'null'}\n")
    return lines


def stories_yaml(session: Session, report: ExportReport) -> str | None:
    stories = list(session.scalars(select(ReviewStory).order_by(ReviewStory.id)))
    usable = [s for s in stories if not any(CONTACT_DETAILS.search(str(step.get("user") or "")) for step in s.steps)]
    report.withheld_contact_details += len(stories) - len(usable)
    report.stories = len(usable)
    if not usable:
        return None
    lines = [HEADER, 'version: "3.1"\n', "\n", "stories:\n"]
    for story in usable:
        lines += story_lines(f"reviewed conversation {story.id}", story.steps)
    return "".join(lines)


def relevance_jsonl(session: Session, catalog: str, report: ExportReport) -> str | None:
    rows = session.execute(
        select(ReviewItem.text, RelevanceMark.product_id, RelevanceMark.grade)
        .join(RelevanceMark, RelevanceMark.item_id == ReviewItem.id).order_by(RelevanceMark.id)
    ).all()
    labels = [{"query": plain(text), "product_id": pid, "grade": int(grade), "catalog": catalog}
              for text, pid, grade in rows if not CONTACT_DETAILS.search(text)]
    report.withheld_contact_details += len(rows) - len(labels)
    report.relevance_labels = len(labels)
    return "".join(json.dumps(label, ensure_ascii=False) + "\n" for label in labels) or None


def export_all(session: Session, *, root: Path, catalog: str) -> ExportReport:
    """Rewrite the three exported files under the project folder ``root`` from the database."""
    report = ExportReport()
    for relative, content in ((NLU_FILE, nlu_yaml(session, report)), (STORIES_FILE, stories_yaml(session, report)),
                              (RELEVANCE_FILE, relevance_jsonl(session, catalog, report))):
        _write(root / relative, content)
        if content is not None:
            report.files.append(str(relative))
    return report
