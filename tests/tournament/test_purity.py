"""``quiz.tournament`` is pure: stdlib only (no Flask, SQLAlchemy or other third-party code),
and none of the stdlib that reads clocks or does I/O."""

from __future__ import annotations

import subprocess
import sys

from tests.purity import assert_pure


def test_imports_only_pure_stdlib() -> None:
    # It reuses the pure engine's sides and the audience package's JSON checks and names.
    assert_pure(
        "tournament",
        allowed_internal=("quiz.engine", "quiz.audience", "quiz.text"),
        min_files=5,
    )


def test_import_pulls_in_no_third_party_module() -> None:
    code = (
        "import sys; import quiz.tournament; "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('flask','sqlalchemy','yaml','gevent','socketio','pydantic','openpyxl')]; print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
