"""Layers point down and imports form no cycle, read from the source (AST), function-level imports included.

Ground floor: ``shop.settings``, ``shop.logging_setup``, ``shop.messages``. Library: ``handoff``,
``retrieval``, ``nlu``, ``review``, ``actions``, ``web``, ``bot``. Top floor: ``shop.ops`` (starting and
supervising servers), which only tests, benchmarks, scripts and ``shop.ops`` itself import.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from shop.settings import REPO_ROOT

PACKAGES = ("shop", "handoff", "retrieval", "nlu", "review", "actions", "web", "bot")
LIBRARY = ("handoff", "retrieval", "nlu", "review", "actions", "web", "bot")
CORE = ("shop.settings", "shop.logging_setup", "shop.messages", "shop.turn_profile", "shop.sqlite", "shop.migrations")
# Besides shop.ops: the action server and the web app share only what lies below both of them (the
# handoff queue among it), the libraries below never reach up, and the Rasa environment (bot) cannot
# import the ML environment's SQLAlchemy-2 packages.
FORBIDDEN = {
    "actions": ("web", "bot"),
    "web": ("actions", "bot"),
    "bot": ("actions", "web", "retrieval", "handoff", "review"),
    # The review loop is read by the web app and run by `make retrain` without one; it reads Rasa's
    # data files and its tracker store, never its code.
    "review": ("actions", "web", "bot"),
    "handoff": ("actions", "web", "bot", "retrieval", "nlu", "review"),
    "retrieval": ("actions", "web", "bot", "review"),
    "nlu": ("actions", "web", "bot", "retrieval", "handoff", "review"),
}


@dataclass(frozen=True)
class Import:
    """One import statement of a project module, resolved to the project module it loads."""

    source: str
    target: str
    line: int
    type_checking_only: bool


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {module_name(path): path for package in PACKAGES for path in sorted((REPO_ROOT / package).rglob("*.py"))}


MODULES = project_modules()


def resolve(name: str) -> str | None:
    """The project module ``name`` loads: itself, or its nearest enclosing project module (None outside the project)."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in MODULES:
            return candidate
        parts.pop()
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _walk(node: ast.AST, guarded: bool = False) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement under ``node`` (function bodies too), and whether only ``if TYPE_CHECKING`` runs it."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child, guarded
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            for statement in child.body:
                yield from _walk(ast.Module(body=[statement], type_ignores=[]), True)
            for statement in child.orelse:
                yield from _walk(ast.Module(body=[statement], type_ignores=[]), guarded)
        else:
            yield from _walk(child, guarded)


def imports_of(module: str) -> list[Import]:
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[Import] = []
    for node, guarded in _walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            # ``from a import b`` loads module a.b when there is one, else a itself.
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        for name in names:
            target = resolve(name)
            if target is not None and target != module:
                found.append(Import(module, target, node.lineno, guarded))
    return found


ALL_IMPORTS = [item for module in MODULES for item in imports_of(module)]


def top(module: str) -> str:
    return module.split(".")[0]


def is_ops(module: str) -> bool:
    return module == "shop.ops" or module.startswith("shop.ops.")


def describe(item: Import) -> str:
    return f"{MODULES[item.source].relative_to(REPO_ROOT)}:{item.line} imports {item.target}"


def test_the_walker_sees_function_level_and_relative_imports() -> None:
    tree = ast.parse("def f():\n    from web.deps import StateDep\nif TYPE_CHECKING:\n    import actions.services\n")
    assert [(type(node).__name__, guarded) for node, guarded in _walk(tree)] == [("ImportFrom", False), ("Import", True)]
    assert resolve("web.deps.StateDep") == "web.deps" and resolve("sqlalchemy.orm") is None


@pytest.mark.parametrize("package", LIBRARY)
def test_the_library_imports_only_the_ground_floor_of_shop(package: str) -> None:
    wrong = [describe(i) for i in ALL_IMPORTS if top(i.source) == package and top(i.target) == "shop" and i.target not in CORE]
    assert not wrong, "only shop.settings, shop.logging_setup, shop.messages, shop.turn_profile and shop.sqlite may be imported here:\n" + "\n".join(wrong)


def test_only_shop_ops_imports_shop_ops() -> None:
    wrong = [describe(i) for i in ALL_IMPORTS if is_ops(i.target) and not is_ops(i.source)]
    assert not wrong, "\n".join(wrong)


def test_the_ground_floor_imports_nothing_above_it() -> None:
    wrong = [describe(i) for i in ALL_IMPORTS if i.source in CORE and i.target not in CORE]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(("package", "forbidden"), FORBIDDEN.items())
def test_packages_do_not_reach_sideways_or_up(package: str, forbidden: tuple[str, ...]) -> None:
    wrong = [describe(i) for i in ALL_IMPORTS if top(i.source) == package and top(i.target) in forbidden]
    assert not wrong, "\n".join(wrong)


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_cycle_finder() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_between_packages() -> None:
    edges: dict[str, set[str]] = {}
    for item in ALL_IMPORTS:
        source, target = top(item.source), top(item.target)
        if is_ops(item.source) or is_ops(item.target):  # the top floor counts as a package of its own
            source, target = ("shop.ops" if is_ops(item.source) else source), ("shop.ops" if is_ops(item.target) else target)
        if source != target and not item.type_checking_only:
            edges.setdefault(source, set()).add(target)
    assert cycles(edges) == []


def test_no_import_cycle_between_modules() -> None:
    """E.g. the web app's factory, its dependencies and its routes: shared state lives in web.state."""
    edges: dict[str, set[str]] = {}
    for item in ALL_IMPORTS:
        if not item.type_checking_only:
            edges.setdefault(item.source, set()).add(item.target)
    assert cycles(edges) == []
