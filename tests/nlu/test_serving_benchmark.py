"""The HTTP alternative measured by benchmarks/nlu_serving.py answers exactly what the in-process runtime does."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from benchmarks.nlu_serving import service_app
from nlu.runtime import JointNluRuntime


def test_service_returns_the_in_process_parse(tiny_model: Path) -> None:
    runtime = JointNluRuntime(tiny_model, threads=1)
    client = TestClient(service_app(tiny_model))
    for text in ["show me red shoes for men under 50", "the second one", "🙂 <b>hi</b>"]:
        local = runtime.parse(text)
        remote = client.post("/parse", json={"text": text})
        assert remote.status_code == 200
        body = remote.json()
        assert body["intent"]["name"] == local.intent["name"]
        assert [e["entity"] for e in body["entities"]] == [e["entity"] for e in local.entities]
    assert client.post("/parse", json={"txt": "missing field"}).status_code == 422
