"""The yardstick of ``turn_cost.py``: the bot ``rasa init`` makes, built and served with our own Rasa.

Why this bot: it is what "a Rasa bot" costs per turn with nothing added (DIET, TED, Rule and
Memoization policies, in-memory tracker and lock stores, no action server), on the same Rasa, the
same Python and the same machine as ours. It is built here from ``rasa init --no-prompt`` (which
also trains it, DIET and TED at their stock 100 epochs), never copied in, and rebuilt when the
Rasa version changes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from shop.ops.stack import RASA_PYTHON, Server, StackError, port_in_use, spawn

RASA = RASA_PYTHON.parent / "rasa"
# What its customers say: the moodbot's own intents, one conversation (greet, unhappy, affirm,
# greet, happy, goodbye: every response of its domain). Six turns, as ours has.
SCRIPT: tuple[str, ...] = ("hi", "i am feeling very sad", "yes", "hello there", "i am great", "bye")


def _rasa_version() -> str:
    output = subprocess.run([str(RASA_PYTHON), "-c", "import rasa; print(rasa.__version__)"], capture_output=True,
                            text=True, check=True)
    return output.stdout.strip()


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"})
    env.pop("SHOP_TURN_PROFILE", None)  # the yardstick is never instrumented
    return env


def build(directory: Path) -> Path:
    """The trained stock bot in ``directory`` (made by ``rasa init`` unless one for this Rasa is there)."""
    version = _rasa_version()
    stamp = directory / ".rasa-version"
    models = sorted((directory / "models").glob("*.tar.gz")) if directory.exists() else []
    if models and stamp.exists() and stamp.read_text().strip() == version:
        return models[-1]
    directory = directory.resolve()
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    print(f"[stock bot] rasa init --no-prompt (Rasa {version}; trains DIET and TED, about a minute) ...", flush=True)
    done = subprocess.run([str(RASA), "init", "--no-prompt", "--init-dir", str(directory)], cwd=directory,
                          env=_env(), capture_output=True, text=True)
    models = sorted((directory / "models").glob("*.tar.gz"))
    if done.returncode != 0 or not models:
        raise StackError(f"rasa init failed ({done.returncode}):\n{(done.stdout + done.stderr)[-2000:]}")
    stamp.write_text(version + "\n")
    return models[-1]


def start(directory: Path, model: Path, port: int) -> Server:
    """``rasa run`` of the stock bot: its own endpoints (in-memory stores) and REST channel."""
    if port_in_use(port):
        raise StackError(f"port {port} is in use")
    command = [str(RASA), "run", "--interface", "127.0.0.1", "--port", str(port), "--model", str(model),
               "--endpoints", str(directory / "endpoints.yml"), "--credentials", str(directory / "credentials.yml")]
    server = spawn("stock Rasa bot", command, _env(), directory / "rasa.log", f"http://127.0.0.1:{port}/")
    server.wait_ready(240)
    return server
