"""Which model the assistant runs, and when it was trained: for the console's header.

Why read the model file: Rasa's ``/status`` names the file it serves, and the file's own metadata
says when it was trained; the retrain gate's report (``var/review/last_retrain.json``) adds the
held-out figures it was shipped with, when it was shipped by the gate.
"""

from __future__ import annotations

import json
import tarfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from shop.settings import Settings

GATE_REPORT = Path("review") / "last_retrain.json"


@lru_cache(maxsize=8)
def _metadata(path: str, mtime: float) -> dict[str, Any]:
    """``metadata.json`` of a Rasa model archive (cached per file version: archives are tens of MB)."""
    with tarfile.open(path, "r:gz") as archive:
        for member in archive:
            if member.name.lstrip("./") == "metadata.json":
                handle = archive.extractfile(member)
                return json.loads(handle.read()) if handle else {}
    return {}


def model_info(status: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Version (file name), Rasa's model id, training time and, if the gate shipped it, its figures."""
    model_file = str(status.get("model_file") or "")  # Rasa names the file only
    path = settings.models_dir / Path(model_file).name
    info: dict[str, Any] = {"version": Path(model_file).name.removesuffix(".tar.gz") or None, "model_id": status.get("model_id"),
                            "trained_at": None, "gate": None}
    if path.is_file():
        try:
            info["trained_at"] = _metadata(str(path), path.stat().st_mtime).get("trained_at")
        except (OSError, tarfile.TarError, ValueError):
            info["trained_at"] = None
    report = settings.var_dir / GATE_REPORT
    if report.is_file():
        try:
            gate = json.loads(report.read_text(encoding="utf-8"))
        except ValueError:
            gate = None
        if isinstance(gate, dict) and gate.get("model") and Path(str(gate["model"])).name == Path(model_file).name:
            info["gate"] = gate
    return info
