"""The architecture of docs/architecture.md, checked from the source: imports flow one way,
psycopg stays inside the store, what Lambda ships never imports the dev tooling, and
modules and functions stay small enough to read."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MAX_MODULE_LINES = 250
MAX_FUNCTION_LINES = 50
# Known debt, written down so it can only shrink: each entry is over its limit today and is
# to be split (issue #11 stays open for them). Anything new over a limit fails.
KNOWN_OVERSIZE = {
}

# Each package may import only from the packages listed (and from itself); `shared.errors`
# and `shared.config` are leaves every layer may use.
ALLOWED = {
    "shared.crypto": set(),
    "shared.auth": set(),
    "shared.store": {"shared.crypto", "shared.auth"},
    "shared.keys": {"shared.crypto", "shared.store"},
    "shared.secrets": {"shared.crypto", "shared.store", "shared.keys", "shared.auth", "shared.runtime"},
    "shared.runtime": {"shared.secrets", "shared.store", "shared.auth"},
}
# The metrics interface is cross-cutting: any layer may count something.
# (`from shared.observability import metrics` names the package too.)
LEAVES = {"shared.errors", "shared.config", "shared.coldstart", "shared.observability", "shared.observability.metrics"}


def _modules() -> list[Path]:
    return sorted(p for folder in ("shared", "functions", "tools") for p in (REPO / folder).rglob("*.py"))


def _name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _imports(path: Path) -> frozenset[str]:
    """Every module this file imports, at any depth (a lazy import is still a dependency)."""
    found = set()
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):  # imports only for type checkers are not dependencies at run time
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return frozenset(found)


def _package(module: str) -> str:
    return ".".join(module.split(".")[:2])


def test_no_import_cycle_between_modules() -> None:
    names = {_name(p): p for p in _modules()}
    graph = {name: {m for m in _imports(path) if m in names and m != name} for name, path in names.items()}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = trail[trail.index(nxt):] + [nxt] if nxt in trail else [node, nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_flow_one_way(package: str) -> None:
    allowed = ALLOWED[package] | LEAVES | {package}
    wrong = []
    for path in _modules():
        if _package(_name(path)) != package:
            continue
        for module in _imports(path):
            if module.startswith("shared.") and _package(module) not in allowed and module not in LEAVES:
                wrong.append(f"{path.relative_to(REPO)} imports {module}")
    assert not wrong, "\n".join(sorted(set(wrong)))


def test_psycopg_is_imported_only_by_the_store_and_the_tooling() -> None:
    outside = [str(p.relative_to(REPO)) for p in _modules()
               if any(m.split(".")[0] in ("psycopg", "psycopg_pool") for m in _imports(p))
               and not _name(p).startswith(("shared.store", "shared.cli", "tools"))]
    assert not outside, outside


def test_what_lambda_ships_never_imports_the_dev_tooling() -> None:
    shipped = [p for p in _modules() if not _name(p).startswith(("shared.cli", "tools"))]
    wrong = [f"{p.relative_to(REPO)} imports {m}" for p in shipped for m in _imports(p)
             if m.startswith(("shared.cli", "tools"))]
    assert not wrong, wrong


def test_modules_and_functions_stay_small() -> None:
    big = []
    for path in _modules():
        text = path.read_text()
        where = str(path.relative_to(REPO))
        if (lines := len(text.splitlines())) > MAX_MODULE_LINES and where not in KNOWN_OVERSIZE:
            big.append(f"{path.relative_to(REPO)}: {lines} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES and f"{where}:{node.name}" not in KNOWN_OVERSIZE:
                    big.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name}(): {length} lines")
    assert not big, "\n".join(big)
