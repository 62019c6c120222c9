"""Serving the joint model: in-process ONNX Runtime vs a small HTTP service called with httpx.

    .venv-ml/bin/python benchmarks/nlu_serving.py [--model models/<name>.tar.gz] [--rounds 5]

Why: the NLU can run inside each Rasa process (what ships) or in one service of the ML
environment that Rasa calls over HTTP. This measures what the second option costs per message
on the same exported model, same texts, batch 1, one ONNX thread each: the in-process parse as
the baseline, then the parse through a local uvicorn service (FastAPI, keep-alive httpx client),
interleaved round by round so machine noise hits both alike. Writes
``benchmarks/results/nlu_serving.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

RESULTS = REPO / "benchmarks" / "results" / "nlu_serving.json"
HELDOUT = REPO / "tests" / "nlu" / "heldout.yml"


class ParseRequest(BaseModel):
    """Body of POST /parse (a module-level model, so FastAPI reads it as the JSON body)."""

    text: str


def service_app(folder: Path) -> Any:
    """The HTTP alternative: one POST /parse returning what the Rasa component would receive."""
    from fastapi import FastAPI

    from nlu.runtime import JointNluRuntime

    runtime = JointNluRuntime(folder, threads=1)
    app = FastAPI()

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/parse")
    def parse(message: ParseRequest) -> dict[str, Any]:
        result = runtime.parse(message.text)
        return {"intent": result.intent, "intent_ranking": result.intent_ranking, "entities": result.entities}

    return app


def _start_service(folder: Path, port: int, log_path: Path) -> Any:
    """uvicorn serving :func:`service_app` in its own process, as the ML environment would run it."""
    from shop.ops.stack import Server

    code = (
        "import sys, uvicorn; sys.path.insert(0, sys.argv[1]); from benchmarks.nlu_serving import service_app; "
        "from pathlib import Path; uvicorn.run(service_app(Path(sys.argv[2])), host='127.0.0.1', port=int(sys.argv[3]), log_level='warning')"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    log = log_path.open("wb")
    command = [sys.executable, "-c", code, str(REPO), str(folder), str(port)]
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return Server("NLU service", process, f"http://127.0.0.1:{port}/health", log_path)


def percentile(values: list[float], q: float) -> float:
    import numpy as np

    return round(float(np.percentile(values, q * 100)), 3)


def main() -> int:
    """Measure both serving modes and write the JSON."""
    import httpx
    from tqdm import tqdm

    from benchmarks.nlu_benchmark import extract_onnx_folder
    from nlu.data import iter_rasa_nlu
    from nlu.runtime import JointNluRuntime
    from shop.ops.stack import free_port, latest_model

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=None, help="Rasa model archive (default: newest in models/)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    model = args.model or latest_model()
    work = Path(tempfile.mkdtemp(prefix="nlu-serving-"))
    folder = extract_onnx_folder(model, work / "onnx")
    texts = [text for text, _, _ in iter_rasa_nlu([HELDOUT])]
    runtime = JointNluRuntime(folder, threads=1)
    port = free_port()
    url = f"http://127.0.0.1:{port}/parse"
    service = _start_service(folder, port, work / "service.log")
    in_process: list[float] = []
    over_http: list[float] = []
    mismatches = 0
    try:
        service.wait_ready(60)
        with httpx.Client(timeout=10.0) as client:
            for text in texts[:20]:  # warm-up of both paths
                runtime.parse(text)
                client.post(url, json={"text": text})
            for _ in tqdm(range(args.rounds), desc="rounds", unit="round"):
                for text in texts:
                    started = time.perf_counter()
                    local = runtime.parse(text)
                    in_process.append((time.perf_counter() - started) * 1000)
                    started = time.perf_counter()
                    remote = client.post(url, json={"text": text}).json()
                    over_http.append((time.perf_counter() - started) * 1000)
                    mismatches += remote["intent"]["name"] != local.intent["name"]
    finally:
        service.stop()
    local_p50, http_p50 = percentile(in_process, 0.5), percentile(over_http, 0.5)
    result: dict[str, Any] = {
        "model": model.name,
        "messages": len(in_process),
        "in_process_ms": {"p50": local_p50, "p95": percentile(in_process, 0.95)},
        "http_service_ms": {"p50": http_p50, "p95": percentile(over_http, 0.95)},
        "http_over_in_process_p50": round(http_p50 / local_p50, 2),
        "intent_mismatches": mismatches,
        "machine": f"{os.cpu_count()} CPU cores, 1-minute load average {os.getloadavg()[0]:.1f} at the end",
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"NLU serving: in-process p50 {local_p50} ms, HTTP service p50 {http_p50} ms "
        f"({result['http_over_in_process_p50']}x), {mismatches} intent mismatches over {len(in_process)} messages -> {RESULTS.relative_to(REPO)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
