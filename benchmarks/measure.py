"""What every benchmark needs to state its figures honestly: intervals, the machine, the results file.

Why bootstrap intervals: most of our evaluation sets have a few hundred items, where one or two
points of difference are noise; every rate is published with its 95 % interval.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def bootstrap_ci(values: Sequence[float], *, statistic: Callable[[np.ndarray], float] = np.mean, samples: int = 2000,
                 seed: int = 0) -> tuple[float, float]:
    """The 95 % percentile interval of ``statistic`` over resamples of ``values``."""
    data = np.asarray(values, dtype=np.float64)
    if len(data) == 0:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    stats = [statistic(data[rng.integers(0, len(data), len(data))]) for _ in range(samples)]
    low, high = np.percentile(stats, [2.5, 97.5])
    return float(low), float(high)


def rate(hits: Sequence[bool], *, seed: int = 0) -> dict[str, float | int | None]:
    """A share with its count and 95 % bootstrap interval (``None`` values when there is nothing to count)."""
    values = [1.0 if h else 0.0 for h in hits]
    if not values:
        return {"value": None, "ci95_low": None, "ci95_high": None, "n": 0}
    low, high = bootstrap_ci(values, seed=seed)
    return {"value": float(np.mean(values)), "ci95_low": low, "ci95_high": high, "n": len(values)}


def machine() -> str:
    """One line naming the machine the figures were measured on."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")).split()[1])
        memory = f", {kib / 2**20:.0f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    return f"{os.cpu_count()} cores {model or platform.processor()}{memory}, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def merge_results(name: str, update: dict[str, Any]) -> Path:
    """Merge ``update`` into ``benchmarks/results/<name>.json`` (dicts one level deep), keeping other stages' figures."""
    path = RESULTS_DIR / f"{name}.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return path
