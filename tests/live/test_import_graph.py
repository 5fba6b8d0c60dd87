"""The modules of ``quiz/live`` (and of ``quiz/report``) import each other without a circle,
and none reads another object's private attribute: each part can be read (and changed) knowing
only what it imports.

Imports under ``if TYPE_CHECKING:`` are annotations only and do not count."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

QUIZ = Path(__file__).resolve().parents[2] / "quiz"
LIVE = QUIZ / "live"
PACKAGE = "quiz.live"
#: The packages held to both rules.
CHECKED = ("live", "report")


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and ast.unparse(node.test) in (
        "TYPE_CHECKING",
        "typing.TYPE_CHECKING",
    )


def _runtime_imports(tree: ast.AST, package: str = PACKAGE) -> set[str]:
    """Modules of ``package`` that ``tree`` imports when it runs."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if _type_checking(node):
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith(package + "."))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == package:  # from quiz.live import rooms
                found.update(f"{package}.{a.name}" for a in node.names)
            elif node.module.startswith(package + "."):
                found.add(node.module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph(folder: Path = LIVE) -> dict[str, set[str]]:
    """``{module: the modules of the same package it imports at run time}``."""
    package = f"quiz.{folder.name}"
    graph: dict[str, set[str]] = {}
    for path in sorted(folder.glob("*.py")):
        name = package if path.stem == "__init__" else f"{package}.{path.stem}"
        graph[name] = _runtime_imports(ast.parse(path.read_text(encoding="utf-8")), package)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A circle of imports (first module repeated at the end), or None."""
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def walk(module: str) -> list[str] | None:
        if module in on_path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        path.append(module)
        on_path.add(module)
        for target in sorted(graph.get(module, ())):
            cycle = walk(target)
            if cycle is not None:
                return cycle
        path.pop()
        on_path.discard(module)
        done.add(module)
        return None

    for module in sorted(graph):
        cycle = walk(module)
        if cycle is not None:
            return cycle
    return None


def test_the_graph_is_read_from_the_modules() -> None:
    graph = import_graph()
    assert "quiz.live.pipeline" in graph["quiz.live.hub"]
    assert "quiz.live.routes" in graph["quiz.live.pipeline"]
    assert "quiz.live.matches" in graph["quiz.live.tournament"]
    assert "quiz.live.rooms" in graph["quiz.live.connections"]  # from quiz.live import rooms


@pytest.mark.parametrize("package", CHECKED)
def test_the_modules_import_each_other_without_a_circle(package: str) -> None:
    assert find_cycle(import_graph(QUIZ / package)) is None


def test_the_report_page_builds_on_the_tables_not_the_other_way() -> None:
    graph = import_graph(QUIZ / "report")
    assert "quiz.report.tables" in graph["quiz.report.render"]
    assert "quiz.report.render" not in graph["quiz.report.tables"]


def test_a_circle_is_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"b"}}) is None


def test_an_annotation_only_import_is_no_edge() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "from quiz.live import rooms\n"
        "if TYPE_CHECKING:\n"
        "    from quiz.live.hub import LiveHub\n"
    )
    assert _runtime_imports(ast.parse(source)) == {"quiz.live.rooms"}


@pytest.mark.parametrize("package", CHECKED)
def test_no_module_reads_another_objects_private_attributes(package: str) -> None:
    reads = []
    for path in sorted((QUIZ / package).glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
            ):
                reads.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    assert reads == []
