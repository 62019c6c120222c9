"""ONNX inference of the joint model: text -> intent ranking + normalised entities.

Imports only numpy, onnxruntime, tokenizers and the standard library (plus the stdlib-only
``nlu.text``/``nlu.normalise``/``nlu.config``/``nlu.pieces``, and symspellpy for ``nlu.spelling``) so
that the Rasa component can run it inside ``.venv-rasa`` with no torch. Words are spell-corrected
before the model reads them (when the model folder has a vocabulary); entity offsets still point
into the customer's own text, and entity values come from the corrected words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from nlu.bio import BioDecoder
from nlu.config import CONFIG_FILE, ONNX_FILE, TOKENIZER_FILE, VOCABULARY_FILE, ExportInfo, load_export_info
from nlu.normalise import normalise_value
from nlu.pieces import encode_words, load_tokenizer
from nlu.spelling import SpellingCorrector
from nlu.text import Word, split_words


@dataclass
class WordPrediction:
    """Per-sentence model output at word level (used by evaluation and by :meth:`parse`)."""

    intent_probs: np.ndarray
    tags: list[str]
    tag_confidences: list[float]
    intent_logits: np.ndarray | None = None


@dataclass
class Parse:
    """Result of :meth:`JointNluRuntime.parse`, shaped like Rasa's message data."""

    intent: dict[str, Any]
    intent_ranking: list[dict[str, Any]]
    entities: list[dict[str, Any]] = field(default_factory=list)


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def decode_entities(text: str, words: Sequence[Word], tags: Sequence[str], confidences: Sequence[float],
                    read_as: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """BIO tags over words -> entity dicts with char offsets, role and normalised value.

    An ``I-`` tag that does not continue an entity of the same label starts a new one, so a
    slightly inconsistent tag sequence still yields entities. ``read_as`` gives each word as the
    model read it (spell-corrected); values are normalised from those, offsets stay in ``text``.
    """
    entities: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for index, (word, tag, conf) in enumerate(zip(words, tags, confidences, strict=True)):
        prefix, _, label = tag.partition("-")
        if tag == "O" or not label:
            current = None
            continue
        if prefix == "I" and current is not None and current["label"] == label:
            current["end"] = word.end
            current["confs"].append(conf)
            current["last"] = index
            continue
        current = {"label": label, "start": word.start, "end": word.end, "confs": [conf], "first": index}
        entities.append(current)
    result = []
    for span in entities:
        entity, _, role = span["label"].partition(".")
        surface = text[span["start"] : span["end"]]
        read = surface
        if read_as is not None:
            first, last = span["first"], span.get("last", span["first"])
            if any(read_as[i] != words[i].text for i in range(first, last + 1)):
                read = " ".join(read_as[first : last + 1])
        item: dict[str, Any] = {
            "entity": entity,
            "start": span["start"],
            "end": span["end"],
            "value": normalise_value(entity, read),
            "text": surface,
            "confidence_entity": float(min(span["confs"])),
        }
        if role:
            item["role"] = role
        result.append(item)
    return result


class JointNluRuntime:
    """A loaded exported folder; build once per process and call :meth:`parse` per message."""

    def __init__(self, folder: Path, threads: int = 1, *, temperature: float = 1.0) -> None:
        """``temperature`` divides the intent logits (calibration: > 1 softens over-confident probabilities)."""
        folder = Path(folder)
        self.temperature = temperature
        missing = [name for name in (ONNX_FILE, TOKENIZER_FILE, CONFIG_FILE) if not (folder / name).is_file()]
        if missing:
            raise FileNotFoundError(f"NLU model folder {folder} lacks {', '.join(missing)}; train it with `python -m nlu.train`")
        self.info: ExportInfo = load_export_info(folder / CONFIG_FILE)
        self.tokenizer = load_tokenizer(folder / TOKENIZER_FILE)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(folder / ONNX_FILE), options, providers=["CPUExecutionProvider"])
        self.intents = self.info.model.intent_labels
        self.slots = self.info.model.slot_labels
        self.decoder = BioDecoder(self.slots, constrained=True)
        vocabulary = folder / VOCABULARY_FILE
        self.speller = SpellingCorrector.load(vocabulary) if vocabulary.is_file() else None

    def corrected(self, words: Sequence[str]) -> list[str]:
        """The words with misspellings corrected (unchanged when the model has no vocabulary)."""
        return self.speller.correct_words(list(words)) if self.speller is not None else list(words)

    def predict_words(self, words: Sequence[str], *, correct: bool = True) -> WordPrediction:
        """Intent probabilities and one tag (+ its probability) per word; words are spell-corrected first."""
        if correct:
            words = self.corrected(words)
        ids, word_ids = encode_words(self.tokenizer, words, self.info.model.max_len)
        feed = {
            "input_ids": np.asarray([ids], dtype=np.int64),
            "attention_mask": np.ones((1, len(ids)), dtype=np.int64),
        }
        intent_logits, slot_logits = self.session.run(None, feed)
        tags, confs = self.decoder.decode(slot_logits[0], word_ids, len(words))
        return WordPrediction(_softmax(intent_logits[0] / self.temperature), tags, confs, intent_logits[0])

    def parse(self, text: str, ranking_size: int = 10) -> Parse:
        """Intent, ranking (highest first) and entities of one message."""
        words = split_words(text)
        read_as = self.corrected([w.text for w in words])
        pred = self.predict_words(read_as, correct=False)
        order = np.argsort(-pred.intent_probs)[:ranking_size]
        ranking = [{"name": self.intents[i], "confidence": float(pred.intent_probs[i])} for i in order]
        entities = decode_entities(text, words, pred.tags, pred.tag_confidences, read_as) if words else []
        return Parse(intent=dict(ranking[0]), intent_ranking=ranking, entities=entities)
