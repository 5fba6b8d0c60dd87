"""quiz.fair is pure arithmetic: stdlib only, no clock reads, no I/O (same rules as the engine,
so the server, the benchmark and the tests all get identical numbers from identical inputs)."""

from __future__ import annotations

import subprocess
import sys

from tests.purity import assert_pure


def test_fair_imports_only_pure_stdlib() -> None:
    assert_pure("fair")


def test_fair_import_pulls_in_nothing_else() -> None:
    code = (
        "import sys; import quiz.fair; "
        "print(sorted(m for m in sys.modules if m.startswith('quiz.') "
        "and not m.startswith('quiz.fair')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
