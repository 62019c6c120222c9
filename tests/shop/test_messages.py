"""The customer-facing texts have one definition, importable from both Python environments."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest
import yaml

from shop import messages
from shop.settings import REPO_ROOT

RASA_PYTHON = REPO_ROOT / ".venv-rasa" / "bin" / "python"
PROBE = (
    "import sys; import shop.messages; "
    "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('shop', 'pydantic', 'pydantic_settings')); "
    "assert loaded == ['shop', 'shop.messages'], loaded"
)


def test_the_domain_says_the_same_trouble_text() -> None:
    """Rasa reads responses from YAML only, so the domain keeps a copy; it must not drift."""
    domain = yaml.safe_load((REPO_ROOT / "bot" / "domain" / "core.yml").read_text(encoding="utf-8"))
    assert [v["text"] for v in domain["responses"]["utter_service_trouble"]] == [messages.TROUBLE_MESSAGE]


@pytest.mark.parametrize("name", ["messages.py", "__init__.py"])
def test_the_module_and_its_package_import_nothing(name: str) -> None:
    tree = ast.parse((REPO_ROOT / "shop" / name).read_text(encoding="utf-8"))
    assert not [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]


@pytest.mark.parametrize("python", [sys.executable, str(RASA_PYTHON)], ids=["ml", "rasa"])
def test_importing_it_loads_neither_the_settings_nor_pydantic(python: str) -> None:
    if python == str(RASA_PYTHON) and not RASA_PYTHON.exists():
        pytest.fail(f"{RASA_PYTHON} is missing: run scripts/setup.sh")
    result = subprocess.run([python, "-c", PROBE], cwd=REPO_ROOT, capture_output=True, text=True, env={"PYTHONPATH": str(REPO_ROOT)})
    assert result.returncode == 0, result.stderr


def test_an_outage_and_a_bug_read_differently() -> None:
    assert messages.TROUBLE_MESSAGE != messages.BUG_MESSAGE
    assert "trouble reaching the shop" in messages.TROUBLE_MESSAGE and "went wrong on our side" in messages.BUG_MESSAGE
