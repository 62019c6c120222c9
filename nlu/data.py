"""Training examples: reading Rasa YAML / ATIS-SNIPS files and aligning BIO labels to word pieces.

Why: the joint model is trained on words with one BIO tag each, while BERT sees word pieces.
Following the usual joint-BERT recipe the tag goes on a word's first piece and the other pieces
get the ignore index, so the loss and the metrics count every word exactly once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlu.text import split_words

IGNORE_INDEX = -100
OUTSIDE = "O"
# [text](entity), [text](entity:value) or [text]{"entity": "color", "role": "exclude"}
_ANNOTATION_RE = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<short>[^)]+)\)|(?P<json>\{[^}]*\}))")


@dataclass(frozen=True)
class Example:
    """One utterance: its words, one BIO tag per word, and its intent."""

    words: tuple[str, ...]
    tags: tuple[str, ...]
    intent: str

    def __post_init__(self) -> None:
        if len(self.words) != len(self.tags):
            raise ValueError(f"{len(self.words)} words but {len(self.tags)} tags in {' '.join(self.words)!r}")


@dataclass(frozen=True)
class Span:
    """An entity annotation over ``text[start:end]``; ``label`` is ``entity`` or ``entity.role``."""

    start: int
    end: int
    label: str


def entity_label(entity: str, role: str | None) -> str:
    """BIO label body of an entity: ``color`` or, for a negated one, ``color.exclude``."""
    return f"{entity}.{role}" if role else entity


def spans_to_tags(text: str, spans: Iterable[Span]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Words of ``text`` and their BIO tags; a word belongs to a span when it overlaps it."""
    words = split_words(text)
    tags = [OUTSIDE] * len(words)
    for span in sorted(spans, key=lambda s: s.start):
        inside = [i for i, w in enumerate(words) if w.start < span.end and w.end > span.start]
        for n, i in enumerate(inside):
            tags[i] = ("B-" if n == 0 else "I-") + span.label
    return tuple(w.text for w in words), tuple(tags)


def parse_annotated(line: str) -> tuple[str, list[Span]]:
    """Plain text and entity spans of one Rasa training line with ``[text](entity)`` markup."""
    plain: list[str] = []
    spans: list[Span] = []
    cursor = 0
    length = 0
    for match in _ANNOTATION_RE.finditer(line):
        before = line[cursor : match.start()]
        plain.append(before)
        length += len(before)
        value = match.group("text")
        if match.group("json"):
            try:
                meta: dict[str, Any] = json.loads(match.group("json"))
            except json.JSONDecodeError as err:
                raise ValueError(f"bad entity annotation {match.group(0)!r} in {line!r}: {err}") from err
            label = entity_label(str(meta["entity"]), meta.get("role"))
        else:
            label = match.group("short").split(":")[0].strip()
        spans.append(Span(length, length + len(value), label))
        plain.append(value)
        length += len(value)
        cursor = match.end()
    plain.append(line[cursor:])
    return "".join(plain), spans


def example_lines(block: str) -> list[str]:
    """The annotated lines of a Rasa ``examples: |`` block, without their "- " bullets."""
    return [line.strip()[2:].strip() for line in block.splitlines() if line.strip().startswith("- ")]


def iter_rasa_nlu(paths: Iterable[Path]) -> Iterator[tuple[str, list[Span], str]]:
    """``(plain text, entity spans, intent)`` of every example in YAML files or folders of them."""
    import yaml  # only the training side reads YAML

    files: list[Path] = []
    for path in map(Path, paths):
        files.extend(sorted(path.rglob("*.yml")) + sorted(path.rglob("*.yaml")) if path.is_dir() else [path])
    for file in files:
        content = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        for block in content.get("nlu") or []:
            if "intent" not in block:
                continue  # synonyms / lookups / regexes are not model training data
            for line in example_lines(str(block.get("examples", ""))):
                text, spans = parse_annotated(line)
                yield text, spans, str(block["intent"])


def read_rasa_nlu(paths: Iterable[Path]) -> list[Example]:
    """Examples of every ``nlu:`` intent block in the given YAML files or folders of them."""
    paths = list(paths)
    examples: list[Example] = []
    for text, spans, intent in iter_rasa_nlu(paths):
        words, tags = spans_to_tags(text, spans)
        if words:
            examples.append(Example(words, tags, intent))
    if not examples:
        raise ValueError(f"no intent examples found in {[str(p) for p in paths]}")
    return examples


def read_seq_dataset(folder: Path) -> list[Example]:
    """An ATIS/SNIPS split: ``seq.in`` (words), ``seq.out`` (BIO tags), ``label`` (intent)."""
    folder = Path(folder)
    lines = [(folder / name).read_text(encoding="utf-8").splitlines() for name in ("seq.in", "seq.out", "label")]
    if not len(lines[0]) == len(lines[1]) == len(lines[2]):
        raise ValueError(f"{folder}: seq.in, seq.out and label have different line counts")
    return [Example(tuple(w.split()), tuple(t.split()), i.strip()) for w, t, i in zip(*lines, strict=True)]


@dataclass
class Encoded:
    """Model inputs of one example; ``slot_ids`` carries IGNORE_INDEX off first pieces."""

    input_ids: list[int]
    slot_ids: list[int]
    intent_id: int


def align(word_ids: list[int | None], tags: tuple[str, ...], slot_index: dict[str, int]) -> list[int]:
    """Slot label per word piece: the word's tag on its first piece, IGNORE_INDEX elsewhere.

    ``word_ids`` is the tokenizer's piece -> word map (None for [CLS]/[SEP]/padding). Unknown
    tags map to ``O`` so that a dev/test tag never seen in training does not crash evaluation.
    """
    labels: list[int] = []
    previous: int | None = None
    for word_id in word_ids:
        if word_id is None or word_id == previous:
            labels.append(IGNORE_INDEX)
        else:
            labels.append(slot_index.get(tags[word_id], slot_index[OUTSIDE]))
        previous = word_id
    return labels


def label_sets(examples: Iterable[Example]) -> tuple[list[str], list[str]]:
    """Sorted intent names and slot labels (``O`` first) seen in ``examples``."""
    examples = list(examples)
    intents = sorted({e.intent for e in examples})
    slots = sorted({t for e in examples for t in e.tags} - {OUTSIDE})
    return intents, [OUTSIDE, *slots]


def read_jsonl(path: Path) -> list[Example]:
    """Examples written by the Rasa component: one ``{"text", "intent", "entities"}`` per line.

    Entities carry Rasa's ``start``/``end``/``entity``/``role`` so no markup has to be escaped.
    """
    examples = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            spans = [Span(int(e["start"]), int(e["end"]), entity_label(e["entity"], e.get("role"))) for e in row.get("entities", [])]
            words, tags = spans_to_tags(row["text"], spans)
            intent = str(row["intent"])
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"{path}:{number}: bad training example ({type(err).__name__}: {err})") from err
        if words:
            examples.append(Example(words, tags, intent))
    return examples


def load_examples(paths: Iterable[Path]) -> list[Example]:
    """Examples from ``.jsonl`` files and Rasa YAML files/folders, in the order given."""
    examples: list[Example] = []
    for path in map(Path, paths):
        if not path.exists():
            raise FileNotFoundError(f"training data {path} does not exist")
        examples.extend(read_jsonl(path) if path.suffix == ".jsonl" else read_rasa_nlu([path]))
    if not examples:
        raise ValueError(f"no training examples in {[str(p) for p in paths]}")
    return examples
