"""The ATIS/SNIPS benchmark runner: dev scored every epoch, best epoch kept, test scored with both decoders."""

from __future__ import annotations

import json
from pathlib import Path

from nlu.bench_seq import main

SPLIT = [
    ("show flights from boston to denver", "O O O B-from O B-to", "flight"),
    ("flights from dallas to miami", "O O B-from O B-to", "flight"),
    ("what is the fare from boston to dallas", "O O O O O B-from O B-to", "fare"),
    ("cheapest fare to denver", "O O O B-to", "fare"),
    ("list flights to miami from boston", "O O O B-to O B-from", "flight"),
    ("how much is a ticket from denver to boston", "O O O O O O B-from O B-to", "fare"),
]


def _write_split(folder: Path, rows: list[tuple[str, str, str]]) -> None:
    folder.mkdir(parents=True)
    (folder / "seq.in").write_text("".join(f"{words}\n" for words, _, _ in rows), encoding="utf-8")
    (folder / "seq.out").write_text("".join(f"{tags}\n" for _, tags, _ in rows), encoding="utf-8")
    (folder / "label").write_text("".join(f"{intent}\n" for _, _, intent in rows), encoding="utf-8")


def test_bench_seq_keeps_the_best_dev_epoch_and_reports_both_decoders(tmp_path: Path, encoder_dir: Path) -> None:
    dataset = tmp_path / "mini"
    _write_split(dataset / "train", SPLIT * 4)
    _write_split(dataset / "dev", SPLIT[:3])
    _write_split(dataset / "test", SPLIT[3:])
    out = tmp_path / "result.json"
    code = main(
        [
            "--dataset",
            str(dataset),
            "--json",
            str(out),
            "--encoder-dir",
            str(encoder_dir),
            "--epochs",
            "3",
            "--batch-size",
            "8",
            "--learning-rate",
            "2e-4",
            "--threads",
            "1",
        ]
    )
    assert code == 0
    result = json.loads(out.read_text())
    assert [point["epoch"] for point in result["dev_curve"]] == [1, 2, 3]
    best = max(result["dev_curve"], key=lambda point: point["intent_accuracy"] + point["slot_f1"])
    assert result["selected_epoch"] == best["epoch"]
    assert result["count"] == 3 and result["train_examples"] == 24
    for scores in (result, result["argmax_decoding"], result["last_epoch"]):
        assert 0.0 <= scores["slot_f1"] <= 1.0 and 0.0 <= scores["sentence_accuracy"] <= 1.0
    assert 0.0 <= result["intent_accuracy"] <= 1.0
