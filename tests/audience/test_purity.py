"""``quiz.tournament`` and ``quiz.audience`` are pure: stdlib only (no Flask, SQLAlchemy or
other third-party code), and none of the stdlib that reads clocks or does I/O."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.purity import assert_pure


@pytest.mark.parametrize("package", ["tournament", "audience"])
def test_imports_only_pure_stdlib(package: str) -> None:
    # Draws and claim codes need ``secrets``; they are still free of clocks and I/O.
    assert_pure(
        package,
        # quiz.celltext: the one formula-escaping rule of every spreadsheet (stdlib only).
        allowed_internal=("quiz.engine", "quiz.audience", "quiz.tournament", "quiz.celltext"),
        allowed_stdlib=frozenset({"secrets", "io"}),
        min_files=5,
    )


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
