"""The review loop end to end: wrongly parsed messages, corrected in the console, exported, retrained.

    .venv-ml/bin/python benchmarks/learning_loop.py        # ~25 min on 2 cores (one `rasa train`)

Protocol (writes ``benchmarks/results/learning_loop.json``):

1. Pool of messages with labels that never came from the model: CLINC150 train-split utterances that
   ``scripts/import_clinc.py`` left unused (labels: CLINC's intent through ``nlu/clinc_mapping.yml``;
   lines near the held-out set or already in our data are dropped), plus
   ``benchmarks/data/review_pool.yml`` (customers' own words, annotated by hand before any parse).
2. The running model parses the pool (``bot.parse_texts``); a message is wrong when its final intent or
   its entity words differ from the label. A fixed seed holds back 30 % of the wrong ones.
3. Each other wrong message is typed by a fresh customer of the real stack (web app, Rasa, actions),
   who then asks for a person, so it reaches the review queue by its own signal. A reviewer account
   corrects it through the console API with the label, and the console exports.
4. ``review.gate`` retrains on the export and scores the held-out set with both models in one run.
5. Both models parse the corrected messages and the held-back ones again.

Figures: ``corrected_fixed_rate`` (corrected messages now parsed as corrected), the same for the
held-back messages nobody corrected (what the correction taught beyond its own lines), the held-out
intent accuracy and entity F1 deltas, and ``retrain_seconds``. Rates carry 95 % bootstrap intervals.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from tqdm import tqdm

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.measure import machine, merge_results, rate  # noqa: E402
from nlu.data import Span, iter_rasa_nlu  # noqa: E402

CLINC = REPO.parent / "shared" / "data" / "benchmarks" / "clinc150"
HAND_POOL = REPO / "benchmarks" / "data" / "review_pool.yml"
WORK = REPO / "var" / "bench" / "learning_loop"
RASA_PYTHON = REPO / ".venv-rasa" / "bin" / "python"
HOLD_BACK = 0.3
SEED = 20
Example = tuple[str, list[Span], str]


def clinc_leftovers() -> list[Example]:
    """CLINC train-split lines our training data does not use, labelled through the mapping."""
    from nlu.clinc import load_mapping, load_split
    from nlu.overlap import near_duplicates
    from review.export import held_out_lines

    mapping = load_mapping()
    used = {text.lower() for text, _, _ in iter_rasa_nlu([REPO / "training_data" / "nlu"])}
    found: list[Example] = []
    for text, clinc_intent in load_split(CLINC, "train"):
        target = mapping.target(clinc_intent)
        if target is not None and text.lower() not in used:
            found.append((text, [], target))
    too_close = {line for line, _, _ in near_duplicates([t for t, _, _ in found], held_out_lines())}
    return [e for e in found if e[0] not in too_close]


def parse(model: Path, texts: list[str]) -> list[dict[str, Any]]:
    from review.gate import environment

    source, out = WORK / "texts.json", WORK / "parsed.jsonl"
    source.write_text(json.dumps(texts), encoding="utf-8")
    print(f"parsing {len(texts)} messages with {model.name} ...", flush=True)
    subprocess.run([str(RASA_PYTHON), "-m", "bot.parse_texts", str(model), str(source), str(out)], cwd=REPO,
                   env=environment(), check=True, stdout=subprocess.DEVNULL)
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def login(client: httpx.Client, username: str, password: str) -> None:
    page = client.get("/console/login")
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    assert client.post("/console/login", data={"username": username, "password": password, "csrf": csrf}).status_code == 303
    console = client.get("/console")
    client.headers["X-CSRF-Token"] = console.text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]


def queue_ids(reviewer: httpx.Client) -> dict[str, int]:
    response = reviewer.get("/api/review/queue", params={"status": "open"}, timeout=300)
    response.raise_for_status()
    return {item["text"]: item["id"] for group in response.json()["groups"] for item in group["items"]}


def correct_in_console(url: str, settings: Any, wrong: list[Example]) -> dict[str, Any]:
    """Stage 3: customers type the messages and ask for a person; a reviewer corrects each one."""
    from web.accounts import create_account

    password = secrets.token_urlsafe(16)
    create_account(settings, username="bench-reviewer", password=password, roles=("reviewer",))
    for text, _, _ in tqdm(wrong, desc="customers", unit="message"):
        with httpx.Client(base_url=url, timeout=60) as customer:
            for message in (text, "/request_human"):
                customer.post("/api/chat/messages", json={"message": message}).raise_for_status()
    with httpx.Client(base_url=url, timeout=60) as reviewer:
        login(reviewer, "bench-reviewer", password)
        ids = queue_ids(reviewer)
        missing = [text for text, _, _ in wrong if text not in ids]
        for text, spans, intent in tqdm(wrong, desc="corrections", unit="message"):
            if text in ids:
                entities = [{"start": s.start, "end": s.end, "entity": s.label.split(".")[0],
                             "role": s.label.split(".")[1] if "." in s.label else None} for s in spans]
                reviewer.post(f"/api/review/items/{ids[text]}/correction", json={"intent": intent, "entities": entities}).raise_for_status()
        export = reviewer.post("/api/review/export").json()
    return {"queued": len(wrong) - len(missing), "not_queued": missing, "export": export}


def reviewed_repeats() -> int:
    """How often config.yml has the NLU component train each reviewed line."""
    import yaml

    config = yaml.safe_load((REPO / "config.yml").read_text(encoding="utf-8"))
    component = next(c for c in config["pipeline"] if str(c.get("name", "")).endswith("JointBertNLU"))
    return int(component.get("reviewed_repeats", 1))


def main() -> None:
    from nlu.metrics import parse_matches
    from retrieval.ingest import ingest
    from shop.ops.stack import Stack, free_port, latest_model
    from shop.settings import Settings, get_settings

    started = time.perf_counter()
    shutil.rmtree(WORK / "project", ignore_errors=True)
    shutil.rmtree(WORK / "models", ignore_errors=True)
    for stale in ("shop.db", "tracker.db", "locks.db", "review"):
        for path in WORK.glob(stale + "*"):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    WORK.mkdir(parents=True, exist_ok=True)
    project = WORK / "project"
    for part in ("training_data", "tests/conversations"):
        shutil.copytree(REPO / part, project / part)
    base_model = latest_model()
    pool = [("clinc", e) for e in clinc_leftovers()] + [("hand", e) for e in iter_rasa_nlu([HAND_POOL])]
    before = parse(base_model, [e[0] for _, e in pool])
    wrong = [(source, e) for (source, e), p in zip(pool, before, strict=True) if not parse_matches(*e, p)]
    random.Random(SEED).shuffle(wrong)
    held_back_count = round(HOLD_BACK * len(wrong))
    held_back, to_correct = wrong[:held_back_count], wrong[held_back_count:]
    print(f"pool {len(pool)} messages, {len(wrong)} parsed wrong; correcting {len(to_correct)}, holding back {len(held_back)}", flush=True)

    base = get_settings()
    settings = Settings(**{**base.model_dump(), "var_dir": WORK, "database_url": "", "index_dir": None, "tracker_url": "",
                           "rasa_port": free_port(), "action_port": free_port(), "web_port": free_port(),
                           "rate_per_ip": 1_000_000, "rate_per_customer": 1_000_000, "review_export_dir": project,
                           "rasa_workers": 1, "handoff_timeout_seconds": 3600.0})
    print(ingest(settings).summary(), flush=True)
    with Stack(settings=settings, model=base_model, web=True):
        console = correct_in_console(f"http://127.0.0.1:{settings.web_port}", settings, [e for _, e in to_correct])
    env = {**os.environ, "SHOP_VAR_DIR": str(WORK), "SHOP_DATABASE_URL": settings.resolved_database_url}
    gate_started = time.perf_counter()
    gate = subprocess.run([sys.executable, "-m", "review.gate", "--data-root", str(project), "--current", str(base_model),
                           "--models-dir", str(WORK / "models"), "--no-export"], cwd=REPO, env=env, check=False)
    gate_seconds = time.perf_counter() - gate_started
    record = json.loads((WORK / "review" / "retrains.jsonl").read_text(encoding="utf-8").splitlines()[-1])
    candidate = Path(record["model"])
    after = parse(candidate, [e[0] for _, e in to_correct + held_back])
    fixed = [parse_matches(*e, p) for (_, e), p in zip(to_correct + held_back, after, strict=True)]
    corrected_fixed, held_back_fixed = fixed[: len(to_correct)], fixed[len(to_correct):]
    result = {
        "roundtrip": {
            "corrected": len(to_correct),
            "corrected_fixed_rate": rate(corrected_fixed),
            "corrected_fixed_rate_by_source": {s: rate([f for (src, _), f in zip(to_correct, corrected_fixed, strict=True) if src == s])
                                               for s in ("clinc", "hand")},
            "held_back_uncorrected": len(held_back),
            "held_back_fixed_rate": rate(held_back_fixed),
            "heldout_intent_before": record["running"]["intent_accuracy"],
            "heldout_intent_after": record["candidate"]["intent_accuracy"],
            "heldout_intent_delta": round(100 * (record["candidate"]["intent_accuracy"] - record["running"]["intent_accuracy"]), 2),
            "heldout_slot_f1_delta": round(100 * (record["candidate"]["slot_f1"] - record["running"]["slot_f1"]), 2),
            "gate_shipped": record["shipped"],
            "gate_reasons": record["reasons"],
            "stories": record["stories"],
            "queued_through_console": console["queued"],
            "export": console["export"],
        },
        "retrain_seconds": record["seconds"]["train"],
        "gate_seconds": round(gate_seconds, 1),
        "gate_exit_code": gate.returncode,
        "pool": {"messages": len(pool), "clinc_unused_train": sum(1 for s, _ in pool if s == "clinc"),
                 "hand_written": sum(1 for s, _ in pool if s == "hand"), "parsed_wrong": len(wrong),
                 "parsed_wrong_by_source": {s: sum(1 for src, _ in wrong if src == s) for s in ("clinc", "hand")}},
        "base_model": base_model.name,
        "machine": machine(),
        "seconds": round(time.perf_counter() - started, 1),
        "protocol": __doc__.strip().split("\n\n", 1)[1],
    }
    repeats = reviewed_repeats()
    result["reviewed_repeats"] = repeats
    result["runs"] = {f"reviewed_repeats_{repeats}": {k: v for k, v in result.items() if k not in ("protocol", "machine")}}
    path = merge_results("learning_loop", result)
    r = result["roundtrip"]
    print(f"[learning_loop] corrected {r['corrected']}: fixed {r['corrected_fixed_rate']['value']:.3f}; held back "
          f"{r['held_back_uncorrected']}: fixed {r['held_back_fixed_rate']['value']:.3f}; held-out intent "
          f"{r['heldout_intent_delta']:+.2f} pt; retrain {result['retrain_seconds']:.0f} s -> {path}", flush=True)


if __name__ == "__main__":
    main()
