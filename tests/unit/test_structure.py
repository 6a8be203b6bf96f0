"""The rules that hold the code together, checked over the source: no import cycles (imports
inside functions count), SQL text only in ledger/, and modules small enough to live in."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("console", "ledger", "sync")
EMULATOR = ROOT / "sync" / "emulator"  # a Stripe stand-in for the demo and tests
MAX_LINES = 400
# Statements as SQL is written here (keywords in capitals); prose ("select a card") passes.
SQL = re.compile(r"\bSELECT\b.+\bFROM\b|\bINSERT\b.+\bINTO\b|\bUPDATE\b.+\bSET\b|"
                 r"\bDELETE\s+FROM\b|\bCREATE\s+(TABLE|INDEX|TRIGGER)\b", re.DOTALL)


def modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            yield name, path


def imported(name: str, path: Path, known: set[str]) -> set[str]:
    """Project modules `name` imports anywhere in its body (TYPE_CHECKING blocks aside:
    they never run)."""
    tree = ast.parse(path.read_text())
    skipped = {id(node) for node in ast.walk(tree) if isinstance(node, ast.If)
               and "TYPE_CHECKING" in ast.unparse(node.test) for node in ast.walk(node)}
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1],
                                 *([base] if base else [])])
            # `from package import module` depends on the module, not on the package.
            names = {f"{base}.{alias.name}" for alias in node.names}
            found |= names if names <= known else {base} | names
    return {module for module in found if module in known and module != name}


def test_no_import_cycles_counting_imports_inside_functions() -> None:
    paths = dict(modules())
    graph = {name: imported(name, path, set(paths)) for name, path in paths.items()}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                cycles.append([*trail[trail.index(target):], target])
            elif target not in state:
                visit(target, [*trail, target])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_sql_text_only_in_ledger() -> None:
    offenders = []
    for name, path in modules():
        if name.startswith("ledger") or path.is_relative_to(EMULATOR):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and SQL.search(node.value):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, f"SQL outside ledger/: {offenders}"


def test_modules_stay_small() -> None:
    large = {str(path.relative_to(ROOT)): lines for _, path in modules()
             if not path.is_relative_to(EMULATOR)
             and (lines := len(path.read_text().splitlines())) > MAX_LINES}
    assert not large, f"modules over {MAX_LINES} lines: {large}"


def test_the_checks_can_fail(tmp_path: Path) -> None:
    """The cycle and SQL detectors find what they look for."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from sync import demo\n    q = 'SELECT id FROM event'\n")
    assert imported("sync.x", module, {"sync.demo", "sync"}) == {"sync.demo"}
    assert SQL.search("SELECT id FROM event") and not SQL.search("select a card to charge")
