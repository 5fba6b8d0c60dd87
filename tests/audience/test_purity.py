"""``quiz.tournament`` and ``quiz.audience`` are pure: stdlib only (no Flask, SQLAlchemy or
other third-party code), and none of the stdlib that reads clocks or does I/O."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

QUIZ = Path(__file__).resolve().parents[2] / "quiz"
FORBIDDEN = {
    "time",
    "datetime",
    "os",
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
    "uuid",
    "urllib",
    "http",
}
FORBIDDEN_CALLS = {"open", "print", "input", "exec", "eval", "__import__"}
ALLOWED_INTERNAL = ("quiz.engine", "quiz.audience", "quiz.tournament")


@pytest.mark.parametrize("package", ["tournament", "audience"])
def test_imports_only_pure_stdlib(package: str) -> None:
    files = sorted((QUIZ / package).glob("*.py"))
    assert len(files) >= 5
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{path.name} has no module docstring"
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                if name.startswith(ALLOWED_INTERNAL) or name == "__future__":
                    continue
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names, f"{path.name} imports non-stdlib {name}"
                assert top not in FORBIDDEN, f"{path.name} imports {name} (clock or I/O)"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in FORBIDDEN_CALLS, f"{path.name} calls {node.func.id}"


def test_import_pulls_in_no_third_party_module() -> None:
    code = (
        "import sys; import quiz.tournament, quiz.audience; "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('flask','sqlalchemy','yaml','gevent','socketio','pydantic','openpyxl')]; print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
