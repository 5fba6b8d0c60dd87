"""The modules of ``quiz/live`` import each other without a circle, and none reads another
object's private attribute: each part can be read (and changed) knowing only what it imports.

Imports under ``if TYPE_CHECKING:`` are annotations only and do not count."""

from __future__ import annotations

import ast
from pathlib import Path

LIVE = Path(__file__).resolve().parents[2] / "quiz" / "live"
PACKAGE = "quiz.live"


def _type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and ast.unparse(node.test) in (
        "TYPE_CHECKING",
        "typing.TYPE_CHECKING",
    )


def _runtime_imports(tree: ast.AST) -> set[str]:
    """Modules of ``quiz.live`` that ``tree`` imports when it runs."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if _type_checking(node):
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith(PACKAGE + "."))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == PACKAGE:  # from quiz.live import rooms
                found.update(f"{PACKAGE}.{a.name}" for a in node.names)
            elif node.module.startswith(PACKAGE + "."):
                found.add(node.module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph(folder: Path = LIVE) -> dict[str, set[str]]:
    """``{module: the quiz.live modules it imports at run time}``."""
    graph: dict[str, set[str]] = {}
    for path in sorted(folder.glob("*.py")):
        name = PACKAGE if path.stem == "__init__" else f"{PACKAGE}.{path.stem}"
        graph[name] = _runtime_imports(ast.parse(path.read_text(encoding="utf-8")))
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
    assert "quiz.live.routes" in graph["quiz.live.hub"]
    assert "quiz.live.matches" in graph["quiz.live.tournament"]
    assert "quiz.live.rooms" in graph["quiz.live.connections"]  # from quiz.live import rooms


def test_the_live_modules_import_each_other_without_a_circle() -> None:
    assert find_cycle(import_graph()) is None


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


def test_no_module_reads_another_objects_private_attributes() -> None:
    reads = []
    for path in sorted(LIVE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
            ):
                reads.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    assert reads == []
