"""CLINC150 (Larson et al. 2019, CC BY 3.0) read through our intent mapping (``nlu/clinc_mapping.yml``).

Why a mapping: CLINC's 150 intents come from a general virtual assistant. A shop must say "I can't
help with that" to most of them (banking, travel, smart home...), must answer some as its own
intents (hello, thanks, yes, "are you a bot?", "where is my order?"), and should not learn from
intents whose utterances mean different things to a shop. The mapping says which is which, once;
the training-data importer and the benchmarks both read it here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

MAPPING_FILE = Path(__file__).with_name("clinc_mapping.yml")
OUT_OF_SCOPE = "out_of_scope"
CLINC_OOS = "oos"
SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class ClincMapping:
    """CLINC intent -> our intent; ``None`` for an excluded intent."""

    mapped: dict[str, str]
    excluded: dict[str, str]
    out_of_scope: frozenset[str]

    def target(self, clinc_intent: str) -> str | None:
        """Our intent for a CLINC intent (``out_of_scope`` for CLINC's own oos), None when excluded."""
        if clinc_intent == CLINC_OOS or clinc_intent in self.out_of_scope:
            return OUT_OF_SCOPE
        if clinc_intent in self.mapped:
            return self.mapped[clinc_intent]
        if clinc_intent in self.excluded:
            return None
        raise KeyError(f"CLINC intent {clinc_intent!r} is not in {MAPPING_FILE}; add it under map, excluded or out_of_scope")

    @property
    def our_intents(self) -> list[str]:
        """Our intents that CLINC utterances train, besides out_of_scope."""
        return sorted(set(self.mapped.values()))


def load_mapping(path: Path = MAPPING_FILE) -> ClincMapping:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    mapped = {str(k): str(v["intent"]) for k, v in (raw.get("map") or {}).items()}
    excluded = {str(k): str(v) for k, v in (raw.get("excluded") or {}).items()}
    out = frozenset(str(i) for i in raw.get("out_of_scope") or [])
    overlap = (set(mapped) & set(excluded)) | (set(mapped) & out) | (set(excluded) & out)
    if overlap:
        raise ValueError(f"{path}: intents listed twice: {sorted(overlap)}")
    return ClincMapping(mapped=mapped, excluded=excluded, out_of_scope=out)


def load_split(clinc_dir: Path, split: str) -> list[tuple[str, str]]:
    """(text, CLINC intent) pairs of one split, in-scope and out-of-scope together (oos as ``"oos"``)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    path = clinc_dir / "data_full.json"
    if not path.is_file():
        raise FileNotFoundError(f"CLINC150 is not at {path}; it ships in shared/data/benchmarks/clinc150/")
    data = json.loads(path.read_text(encoding="utf-8"))
    return [(str(t), str(i)) for t, i in data[split]] + [(str(t), CLINC_OOS) for t, _ in data[f"oos_{split}"]]
