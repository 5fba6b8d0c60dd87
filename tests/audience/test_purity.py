"""``quiz.audience`` is pure: stdlib only (no Flask, SQLAlchemy or other third-party code), and
none of the stdlib that reads clocks or does I/O. ``quiz.text``, the one shared text cleaner
and ``quiz.celltext``, the one
formula-escaping rule of every spreadsheet, which it imports, are held to the same bar."""

from __future__ import annotations

import subprocess
import sys

from tests.purity import QUIZ, assert_module_pure, assert_pure


def test_imports_only_pure_stdlib() -> None:
    # Draws and claim codes need ``secrets``; they are still free of clocks and I/O.
    assert_pure(
        "audience",
        # quiz.celltext: the one formula-escaping rule of every spreadsheet (stdlib only).
        allowed_internal=("quiz.engine", "quiz.text", "quiz.celltext"),
        allowed_stdlib=frozenset({"secrets", "io"}),
        min_files=5,
    )


def test_shared_text_modules_are_pure() -> None:
    assert_module_pure(QUIZ / "text.py", internal=(), allowed_stdlib=frozenset())
    assert_module_pure(QUIZ / "celltext.py", internal=(), allowed_stdlib=frozenset())


def test_import_pulls_in_no_third_party_module() -> None:
    code = (
        "import sys; import quiz.audience; "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('flask','sqlalchemy','yaml','gevent','socketio','pydantic','openpyxl')]; print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
