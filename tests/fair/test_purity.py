"""quiz.fair is pure arithmetic: stdlib only, no clock reads, no I/O (same rules as the engine,
so the server, the benchmark and the tests all get identical numbers from identical inputs)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.engine.test_purity import FORBIDDEN, FORBIDDEN_CALLS, _imports

FAIR = Path(__file__).resolve().parents[2] / "quiz" / "fair"


def test_fair_imports_only_pure_stdlib() -> None:
    files = sorted(FAIR.glob("*.py"))
    assert len(files) >= 4
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name in _imports(tree):
            top = name.split(".")[0]
            if name.startswith("quiz.fair") or top == "__future__":
                continue
            assert top in sys.stdlib_module_names, f"{path.name} imports non-stdlib {name}"
            assert top not in FORBIDDEN, f"{path.name} imports {name} (clock or I/O)"
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in FORBIDDEN_CALLS, f"{path.name} calls {node.func.id}"


def test_fair_import_pulls_in_nothing_else() -> None:
    code = (
        "import sys; import quiz.fair; "
        "print(sorted(m for m in sys.modules if m.startswith('quiz.') "
        "and not m.startswith('quiz.fair')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
