"""No class in ``quiz/live`` grows past ~400 lines or ~25 methods, and no module of
``quiz/live`` or ``quiz/report`` past ~600 lines: past that, a part has more than one concern
and a reader must hold too much at once (split it by concern, as the audience desk is).

Run as a script (``python -m tests.live.test_sizes``) it prints every class and module with
its size, largest first."""

from __future__ import annotations

import ast
from pathlib import Path

QUIZ = Path(__file__).resolve().parents[2] / "quiz"
CLASS_LINES = 400
CLASS_METHODS = 25
MODULE_LINES = 600


def classes(folder: Path = QUIZ / "live") -> list[tuple[str, int, int]]:
    """``(module.Class, lines, methods)`` for every class defined in ``folder``'s modules;
    methods are the functions defined directly in the class body."""
    found = []
    for path in sorted(folder.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                assert node.end_lineno is not None
                methods = sum(
                    isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) for item in node.body
                )
                lines = node.end_lineno - node.lineno + 1
                found.append((f"{path.stem}.{node.name}", lines, methods))
    return found


def modules(*folders: Path) -> list[tuple[str, int]]:
    return [
        (f"{path.parent.name}/{path.name}", len(path.read_text(encoding="utf-8").splitlines()))
        for folder in folders
        for path in sorted(folder.glob("*.py"))
    ]


def test_the_sizes_are_measured() -> None:
    found = {name: (lines, methods) for name, lines, methods in classes()}
    assert found["audience.AudienceDesk"][1] > 5
    assert found["hub.LiveHub"][0] > 100
    assert dict(modules(QUIZ / "live"))["live/hub.py"] > 100


def test_no_live_class_is_too_big() -> None:
    big = [
        (name, lines, methods)
        for name, lines, methods in classes()
        if lines > CLASS_LINES or methods > CLASS_METHODS
    ]
    assert big == []


def test_no_live_or_report_module_is_too_long() -> None:
    found = modules(QUIZ / "live", QUIZ / "report")
    assert [(name, lines) for name, lines in found if lines > MODULE_LINES] == []


if __name__ == "__main__":
    print(f"classes in quiz/live (limits: {CLASS_LINES} lines, {CLASS_METHODS} methods)")
    for name, lines, methods in sorted(classes(), key=lambda c: (-c[2], -c[1]))[:12]:
        print(f"  {name:45} {lines:4} lines {methods:3} methods")
    print(f"modules in quiz/live and quiz/report (limit: {MODULE_LINES} lines)")
    for name, lines in sorted(modules(QUIZ / "live", QUIZ / "report"), key=lambda m: -m[1])[:8]:
        print(f"  {name:45} {lines:4} lines")
