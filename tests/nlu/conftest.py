"""Fixtures of the NLU tests: the MiniLM folder and one tiny model trained once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from shop.settings import get_settings

TINY_DATA = Path(__file__).parent / "tiny_nlu.yml"


@pytest.fixture(scope="session")
def encoder_dir() -> Path:
    """The MiniLM weights folder; the suite cannot run without it."""
    folder = get_settings().encoder_dir
    if not (folder / "tokenizer.json").is_file():
        pytest.fail(f"MiniLM weights missing at {folder}; run scripts/setup.sh")
    return folder


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory, encoder_dir: Path) -> Path:
    """An exported folder fitted to ``tiny_nlu.yml`` with a few dozen real optimiser steps."""
    from nlu.train import main

    out = tmp_path_factory.mktemp("tiny-nlu")
    code = main(
        [
            "--data",
            str(TINY_DATA),
            "--out",
            str(out),
            "--encoder-dir",
            str(encoder_dir),
            "--epochs",
            "60",
            "--max-steps",
            "60",
            "--batch-size",
            "12",
            "--learning-rate",
            "2e-4",
            "--threads",
            "1",
        ]
    )
    assert code == 0
    return out
