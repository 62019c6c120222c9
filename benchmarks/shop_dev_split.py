"""A template-disjoint train/dev split of the shop NLU data, for design choices.

    .venv-ml/bin/python benchmarks/shop_dev_split.py --out /tmp/shop-split [--fold 0]

Why: the shop data has no dev split, and a choice such as the intent head's pooling must not be
made on ``tests/nlu/heldout.yml`` (that would leak the test into the model). A random split of
``training_data/nlu`` would not do either: generated examples sharing a template with training
examples make dev nearly as easy as train. So, like the held-out test, dev shares no template
with train: of each generated intent's templates, every ``folds``-th one (from ``fold``) renders
only dev examples and the others only train examples, with the same catalog vocabulary and the
same share of the intent's count; a seeded ``1/folds`` of each intent's hand-written examples
goes to dev. Writes ``train/`` and ``dev/`` folders of Rasa NLU files.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from nlu.data import example_lines, parse_annotated, spans_to_tags  # noqa: E402

NLU_DATA = REPO / "training_data" / "nlu"


def _augment_module() -> ModuleType:
    """``scripts/augment_nlu.py`` (a script, not a package module) loaded by path."""
    spec = importlib.util.spec_from_file_location("augment_nlu", REPO / "scripts" / "augment_nlu.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _hand_written_blocks() -> dict[str, list[str]]:
    """Annotated example lines of the hand-written files, per intent."""
    import yaml

    blocks: dict[str, list[str]] = {}
    for file in sorted(NLU_DATA.glob("*.yml")):
        if file.name.startswith(("generated_", "clinc_")):  # generated shop lines are split by template; CLINC is not shop data
            continue
        for block in (yaml.safe_load(file.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            if "intent" in block:
                blocks.setdefault(str(block["intent"]), []).extend(example_lines(str(block.get("examples", ""))))
    return blocks


def split_templates(templates: list[str], fold: int, folds: int) -> tuple[list[str], list[str]]:
    """(train, dev) templates: every ``folds``-th from ``fold`` to dev; train always keeps at least one."""
    dev = [t for i, t in enumerate(templates) if i % folds == fold % folds]
    train = [t for t in templates if t not in dev]
    if not train:  # a one-template intent cannot be split; keep it in train only
        return templates, []
    return train, dev


def _plain(line: str) -> str:
    """The words the model sees, lower-cased: two lines with the same key are the same sentence."""
    return " ".join(spans_to_tags(*parse_annotated(line))[0]).lower()


def _drop_dev_sentences_seen_in_train(sides: dict[str, dict[str, list[str]]]) -> None:
    """Short phrases ("more like this") can come from two templates or a template and a hand-written line."""
    seen = {_plain(line) for lines in sides["train"].values() for line in lines}
    for intent, lines in sides["dev"].items():
        sides["dev"][intent] = [line for line in lines if _plain(line) not in seen]


def write_split(out: Path, fold: int = 0, folds: int = 5, seed: int = 7, catalog: Path | None = None) -> dict[str, dict[str, int]]:
    """Write ``out/train/*.yml`` and ``out/dev/*.yml``; return the example counts per side and intent."""
    augment = _augment_module()
    catalog = catalog or augment.DEFAULT_CATALOG
    if not Path(catalog).is_file():
        raise FileNotFoundError(f"catalog {catalog} not found (the generator's vocabulary comes from it)")
    rng = random.Random(seed)
    renderer = augment.Renderer(augment.catalog_vocabulary(Path(catalog)), rng)
    sides: dict[str, dict[str, list[str]]] = {"train": {}, "dev": {}}
    for topic in augment.TEMPLATES.values():
        for intent, (count, templates) in topic.items():
            train_t, dev_t = split_templates(templates, fold, folds)
            dev_n = round(count * len(dev_t) / len(templates))
            sides["train"].setdefault(intent, []).extend(augment.render_lines(count - dev_n, train_t, renderer, rng))
            if dev_t:
                sides["dev"].setdefault(intent, []).extend(augment.render_lines(dev_n, dev_t, renderer, rng))
    for intent, lines in _hand_written_blocks().items():
        shuffled = sorted(lines)
        random.Random(f"{seed}-{fold}-{intent}").shuffle(shuffled)
        cut = max(1, len(shuffled) // folds)
        sides["dev"].setdefault(intent, []).extend(shuffled[:cut])
        sides["train"].setdefault(intent, []).extend(shuffled[cut:])
    _drop_dev_sentences_seen_in_train(sides)
    counts: dict[str, dict[str, int]] = {}
    for side, blocks in sides.items():
        (out / side).mkdir(parents=True, exist_ok=True)
        text = augment.nlu_yaml(blocks, f"template-disjoint {side} split, fold {fold} of {folds}, seed {seed}")
        (out / side / "nlu.yml").write_text(text, encoding="utf-8")
        counts[side] = {intent: len(lines) for intent, lines in blocks.items()}
    return counts


def main() -> None:
    """Write the split and print its size."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--fold", type=int, default=0)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    counts = write_split(args.out, args.fold, args.folds, args.seed)
    print(f"train {sum(counts['train'].values())} examples, dev {sum(counts['dev'].values())} examples -> {args.out}")


if __name__ == "__main__":
    main()
