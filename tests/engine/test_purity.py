"""The engine is pure: stdlib only, and none of the stdlib that reads clocks or does I/O."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ENGINE = Path(__file__).resolve().parents[2] / "quiz" / "engine"
FORBIDDEN = {
    "time",
    "datetime",
    "os",
    "io",
    "socket",
    "threading",
    "asyncio",
    "subprocess",
    "pathlib",
    "logging",
    "sqlite3",
    "select",
    "signal",
    "multiprocessing",
    "secrets",
    "uuid",
}
FORBIDDEN_CALLS = {"open", "print", "input", "exec", "eval", "__import__"}


def _imports(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_engine_imports_only_pure_stdlib() -> None:
    files = sorted(ENGINE.glob("*.py"))
    assert len(files) >= 5
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name in _imports(tree):
            top = name.split(".")[0]
            if name.startswith("quiz.engine") or top == "__future__":
                continue
            assert top in sys.stdlib_module_names, f"{path.name} imports non-stdlib {name}"
            assert top not in FORBIDDEN, f"{path.name} imports {name} (clock or I/O)"
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in FORBIDDEN_CALLS, f"{path.name} calls {node.func.id}"


def test_engine_import_pulls_in_no_third_party_module() -> None:
    import subprocess

    code = (
        "import sys; import quiz.engine; "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('flask','sqlalchemy','yaml','gevent','socketio','pydantic')]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
