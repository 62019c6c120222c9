"""The CLINC150 mapping covers every intent once, and imported data never paraphrases the held-out set."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from nlu.clinc import OUT_OF_SCOPE, load_mapping
from nlu.data import example_lines
from nlu.overlap import masked, near_duplicates
from shop.settings import REPO_ROOT

CLINC = REPO_ROOT.parent / "shared" / "data" / "benchmarks" / "clinc150"
DOMAIN = REPO_ROOT / "bot" / "domain"


def test_every_clinc_intent_is_mapped_once() -> None:
    mapping = load_mapping()
    domains = json.loads((CLINC / "domains.json").read_text())
    every = {intent for intents in domains.values() for intent in intents}
    listed = set(mapping.mapped) | set(mapping.excluded) | set(mapping.out_of_scope)
    assert listed == every and len(every) == 150
    assert mapping.target("oos") == OUT_OF_SCOPE and mapping.target("make_call") == OUT_OF_SCOPE
    assert mapping.target("greeting") == "greet" and mapping.target("order") is None


def test_mapped_intents_exist_in_the_domain() -> None:
    declared = {i for f in DOMAIN.glob("*.yml") for i in (yaml.safe_load(f.read_text()) or {}).get("intents") or []}
    assert set(load_mapping().our_intents) <= declared


def test_masking_hides_entity_values() -> None:
    assert masked("show me [red](color) [dresses](product_type)!") == masked("Show me [blue](color) [shirts](product_type)")
    assert masked('not [nike]{"entity": "brand", "role": "exclude"}') == "not <brand>"


def test_imported_clinc_lines_are_not_near_duplicates_of_held_out_lines() -> None:
    held = [line for block in yaml.safe_load((REPO_ROOT / "tests" / "nlu" / "heldout.yml").read_text())["nlu"]
            for line in example_lines(str(block.get("examples", "")))]
    imported = [line for f in sorted((REPO_ROOT / "training_data" / "nlu").glob("clinc_*.yml"))
                for block in yaml.safe_load(f.read_text())["nlu"] for line in example_lines(str(block["examples"]))]
    assert len(imported) > 3000
    assert near_duplicates(imported, held) == []
    assert near_duplicates(["thanks again!"], ["thanks again"]), "the check itself finds a near-duplicate"


def test_path_constant_points_at_the_shared_data() -> None:
    assert (CLINC / "data_full.json").is_file(), f"CLINC150 expected at {CLINC}"
    assert Path(CLINC).name == "clinc150"
