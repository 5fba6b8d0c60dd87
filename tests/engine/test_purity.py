"""The engine is pure: stdlib only, and none of the stdlib that reads clocks or does I/O."""

from __future__ import annotations

import sys

from tests.purity import assert_pure


def test_engine_imports_only_pure_stdlib() -> None:
    assert_pure("engine", min_files=5)


def test_engine_import_pulls_in_no_third_party_module() -> None:
    import subprocess

    code = (
        "import sys; import quiz.engine; "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('flask','sqlalchemy','yaml','gevent','socketio','pydantic')]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
