"""Reading bank YAML safely with the position of every key and value, and writing it back.

:class:`MarkedLoader` is ``yaml.SafeLoader`` that refuses tags (``!!python/object`` and any
other), anchors and aliases, and limits nesting, each reported at its mark. The composed node
tree is then turned into plain data by :func:`read_bank_file`, which records the line and
column of every key and value under its path (``(0, "options", 1, "zh")``) so a validation
error can be reported where it is, and which refuses duplicate keys.

:func:`dump_questions` writes questions in the layout of ``question_bank/README.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from quiz.bank.problems import Problem, TextSpot, not_utf8
from quiz.bank.schema import KEY_ORDER

MAX_FILE_BYTES: Final = 1024 * 1024
MAX_DEPTH: Final = 16

Loc = tuple[str | int, ...]


class MarkedLoader(yaml.SafeLoader):
    """A SafeLoader that reports tags, anchors and aliases instead of honouring them."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        #: (line, column) and message of each refused construct.
        self.refusals: list[tuple[tuple[int, int], str]] = []
        #: ids of the nodes that carried a refused tag (their content is not trusted).
        self.refused_nodes: set[int] = set()
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        # The parser's methods are untyped in the stubs.
        event: Any = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            self.get_event()  # type: ignore[no-untyped-call]
            self.refusals.append(
                (_position(event.start_mark), f"aliases (*{event.anchor}) are not allowed")
            )
            start: Any = event.start_mark
            alias = ScalarNode("tag:yaml.org,2002:null", "", start, start)
            self.refused_nodes.add(id(alias))
            return alias
        refused = False
        if event.anchor is not None:
            self.refusals.append(
                (_position(event.start_mark), f"anchors (&{event.anchor}) are not allowed")
            )
            event.anchor = None
        if getattr(event, "tag", None) is not None:
            # Clearing the tag makes the node resolve as plain data; its content is ignored.
            shown = str(event.tag).replace("tag:yaml.org,2002:", "!!", 1)
            self.refusals.append(
                (_position(event.start_mark), f"YAML tags are not allowed: {shown}")
            )
            event.tag = None
            refused = True
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, f"nesting deeper than {MAX_DEPTH} levels", event.start_mark
                )
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if refused and node is not None:
            self.refused_nodes.add(id(node))
        return node


@dataclass
class BankDocument:
    """The plain data of a bank file and where each part of it is."""

    path: str
    data: Any
    values: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Loc, tuple[int, int]] = field(default_factory=dict)
    #: Paths whose value carried a refused tag: errors below them are not reported.
    refused: set[Loc] = field(default_factory=set)

    def spot(self, loc: Loc, *, key: bool = False) -> TextSpot:
        """Where ``loc`` is: its key (for an unknown key) or its value, else the nearest
        enclosing value (a missing key is reported at the mapping that lacks it)."""
        if key and loc in self.keys:
            line, column = self.keys[loc]
            return TextSpot(self.path, line, column)
        for end in range(len(loc), -1, -1):
            found = self.values.get(loc[:end])
            if found is not None:
                return TextSpot(self.path, *found)
        return TextSpot(self.path, 1, 1)

    def is_refused(self, loc: Loc) -> bool:
        return any(loc[:end] in self.refused for end in range(len(loc) + 1))


def _position(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


def _position_in_text(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    return (line, index - (text.rfind("\n", 0, index) + 1) + 1)


def _describe_yaml_error(error: yaml.YAMLError) -> str:
    if isinstance(error, yaml.MarkedYAMLError):
        text = f"YAML syntax error: {error.problem}"
        if error.context:
            text += f" ({error.context}"
            if error.context_mark is not None:
                text += f" at line {error.context_mark.line + 1}"
            text += ")"
        return text
    return f"YAML syntax error: {error}"


class _Builder:
    """Turns a node tree into plain data, recording marks and refusing duplicate keys."""

    def __init__(self, loader: MarkedLoader, document: BankDocument) -> None:
        self.loader = loader
        self.document = document
        self.problems: list[Problem] = []

    def _problem(self, mark: Any, message: str) -> None:
        self.problems.append(Problem(TextSpot(self.document.path, *_position(mark)), message))

    def build(self, node: Node, loc: Loc) -> Any:
        self.document.values[loc] = _position(node.start_mark)
        if id(node) in self.loader.refused_nodes:
            self.document.refused.add(loc)
        if isinstance(node, MappingNode):
            return self._mapping(node, loc)
        if isinstance(node, SequenceNode):
            return [self.build(item, (*loc, index)) for index, item in enumerate(node.value)]
        try:
            return self.loader.construct_object(node, deep=True)
        except (yaml.constructor.ConstructorError, ValueError) as exc:
            self._problem(node.start_mark, f"cannot read this value: {exc}")
            self.document.refused.add(loc)
            return node.value

    def _mapping(self, node: MappingNode, loc: Loc) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node)
            if key is None:
                continue
            if key in result:
                first_line = self.document.keys[(*loc, key)][0]
                self._problem(
                    key_node.start_mark, f"duplicate key '{key}' (first at line {first_line})"
                )
                continue
            self.document.keys[(*loc, key)] = _position(key_node.start_mark)
            result[key] = self.build(value_node, (*loc, key))
        return result

    def _key(self, node: Node) -> str | None:
        if isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:str":
            return str(node.value)
        if isinstance(node, ScalarNode):
            shown = node.value if node.value else "an empty key"
            self._problem(node.start_mark, f"key {shown!r} must be a word such as 'answer'")
        else:
            self._problem(node.start_mark, "keys must be plain words, not lists or mappings")
        return None


def read_bank_file(
    path: Path, display: str | None = None
) -> tuple[BankDocument | None, list[Problem]]:
    """Read one bank file. The document is None when nothing usable could be read; the
    problems then say why (size, encoding, syntax)."""
    name = display if display is not None else str(path)
    start = TextSpot(name, 1, 1)
    try:
        # The size is checked before reading, so a huge file is never loaded into memory.
        size = path.stat().st_size
        raw = path.read_bytes() if size <= MAX_FILE_BYTES else b""
    except OSError as exc:
        return None, [Problem(start, f"cannot read the file: {exc.strerror or exc}")]
    size = max(size, len(raw))  # it may have grown in between
    if size > MAX_FILE_BYTES:
        return None, [
            Problem(start, f"file is {size} bytes; the limit is 1 MiB ({MAX_FILE_BYTES})")
        ]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [not_utf8(name, raw, exc)]
    text = text.removeprefix("\ufeff")
    if not text.strip():
        return None, [Problem(start, "file is empty; expected a list of questions")]
    loader: MarkedLoader | None = None
    try:
        # The reader checks every character when it is created, so that is inside the try too.
        loader = MarkedLoader(text)
        node = loader.get_single_node()
    except yaml.reader.ReaderError as exc:
        line, column = _position_in_text(text, exc.position)
        return None, [
            Problem(
                TextSpot(name, line, column),
                f"YAML syntax error: character #x{exc.character:04x} is not allowed "
                "(control characters cannot appear in the bank)"
                if isinstance(exc.character, int)
                else f"YAML syntax error: {exc.reason}",
            )
        ]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        spot = TextSpot(name, *_position(mark)) if mark is not None else start
        return None, [Problem(spot, _describe_yaml_error(exc))]
    except yaml.YAMLError as exc:
        return None, [Problem(start, _describe_yaml_error(exc))]
    finally:
        if loader is not None:
            loader.dispose()
    problems = [Problem(TextSpot(name, *where), message) for where, message in loader.refusals]
    if node is None:
        return None, [*problems, Problem(start, "file is empty; expected a list of questions")]
    document = BankDocument(name, None)
    builder = _Builder(loader, document)
    document.data = builder.build(node, ())
    return document, problems + builder.problems


# --- writing ---------------------------------------------------------------------------------


class _Flow(dict[str, Any]):
    """A mapping written on one line: ``{zh: ..., en: ...}``."""


class _FlowList(list[Any]):
    """A list written on one line: ``[A, C]``."""


class _BankDumper(yaml.SafeDumper):
    # Indent lists inside mappings, as the README does ("  options:\n    - {...}").
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_flow(dumper: yaml.SafeDumper, data: _Flow) -> yaml.MappingNode:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=True)


def _represent_flow_list(dumper: yaml.SafeDumper, data: _FlowList) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


_BankDumper.add_representer(_Flow, _represent_flow)
_BankDumper.add_representer(_FlowList, _represent_flow_list)


def _layout(content: dict[str, Any]) -> dict[str, Any]:
    """The README's key order, and its block or flow style for each field."""
    laid_out: dict[str, Any] = {}
    for key in sorted(content, key=lambda k: KEY_ORDER.index(k) if k in KEY_ORDER else 99):
        value = content[key]
        if key == "tags" and not value:
            continue
        if isinstance(value, list) and value and isinstance(value[0], dict):
            laid_out[key] = [_Flow(item) for item in value]
        elif isinstance(value, list):
            laid_out[key] = _FlowList(value)
        else:
            laid_out[key] = value
    return laid_out


def dump_questions(contents: Sequence[dict[str, Any]], header: str = "") -> str:
    """YAML text of question contents (``model_dump`` output), one blank line between them."""
    parts = [f"# {line}\n" for line in header.splitlines()]
    for index, content in enumerate(contents):
        if index or parts:
            parts.append("\n")
        parts.append(
            yaml.dump(
                [_layout(content)],
                Dumper=_BankDumper,
                allow_unicode=True,
                sort_keys=False,
                width=10_000,
                default_flow_style=False,
            )
        )
    return "".join(parts)
