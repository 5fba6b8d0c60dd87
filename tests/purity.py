"""One check for every pure package (engine, fair buzzing, tournament, audience): stdlib only,
and none of the stdlib that reads clocks or does I/O, so that identical inputs always give
identical results and the packages can run anywhere (server, benchmark, replay)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

QUIZ = Path(__file__).resolve().parents[1] / "quiz"
FORBIDDEN = frozenset(
    {
        "time", "datetime", "os", "io", "socket", "threading", "asyncio", "subprocess",
        "pathlib", "logging", "sqlite3", "select", "signal", "multiprocessing", "secrets",
        "uuid", "urllib", "http",
    }
)  # fmt: skip
FORBIDDEN_CALLS = frozenset({"open", "print", "input", "exec", "eval", "__import__"})


def imports(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def assert_module_pure(
    path: Path, internal: tuple[str, ...], allowed_stdlib: frozenset[str]
) -> None:
    """``path`` has a docstring, imports only stdlib (minus clocks and I/O) or ``internal``
    modules, and calls no I/O builtin."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"{path.name} has no module docstring"
    for name in imports(tree):
        top = name.split(".")[0]
        if name.startswith(internal) or top == "__future__":
            continue
        assert top in sys.stdlib_module_names, f"{path.name} imports non-stdlib {name}"
        forbidden = top in FORBIDDEN and top not in allowed_stdlib
        assert not forbidden, f"{path.name} imports {name} (clock or I/O)"
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in FORBIDDEN_CALLS, f"{path.name} calls {node.func.id}"


def assert_pure(
    package: str,
    allowed_internal: tuple[str, ...] = (),
    allowed_stdlib: frozenset[str] = frozenset(),
    min_files: int = 4,
) -> None:
    """Every module of ``quiz/<package>`` has a docstring, imports only allowed modules and
    calls no I/O builtin."""
    files = sorted((QUIZ / package).glob("*.py"))
    assert len(files) >= min_files
    internal = (f"quiz.{package}", *allowed_internal)
    for path in files:
        assert_module_pure(path, internal, allowed_stdlib)
