"""The routing table (quiz/live/routes.py): one row per command type, each naming a handler
its desk owns; nothing else in ``quiz/live`` dispatches by building a method name."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from quiz.live import routes
from quiz.live.protocol import ProtocolError, parse_command
from quiz.live.routes import ROUTES

LIVE = Path(__file__).resolve().parents[2] / "quiz" / "live"


#: Still dispatches with getattr; its rows go to public methods when it is split (issue #13).
def test_each_command_type_has_exactly_one_row() -> None:
    source = inspect.getsource(routes)
    table = source[source.index("ROUTES: dict[str, Route] = {") :]
    keys = re.findall(r'^\s+"([a-z_]+)": Route\(', table, flags=re.MULTILINE)
    assert len(keys) == len(set(keys)) == len(ROUTES)


@pytest.mark.parametrize("type", sorted(ROUTES))
def test_every_handler_belongs_to_its_desk(type: str) -> None:
    route = ROUTES[type]
    handler = route.handler
    assert route.roles and route.roles <= {"host", "player", "audience"}
    if handler.__module__ == routes.__name__:
        # A thin entry in the table's module: its first parameter is the desk.
        first = next(iter(inspect.signature(handler).parameters.values()))
        assert first.annotation in (route.desk.__name__, route.desk)
    else:
        assert getattr(route.desk, handler.__name__) is handler


def test_the_display_sends_nothing() -> None:
    assert all("display" not in r.roles for r in ROUTES.values())


def test_an_unknown_type_is_refused_before_anything_else() -> None:
    with pytest.raises(ProtocolError) as refused:
        parse_command({"id": "x", "type": "tick", "seq": -1}, ROUTES)
    assert refused.value.code == "unknown_command"
    assert parse_command({"id": "x", "type": "undo", "seq": 3}, ROUTES).seq == 3


def test_no_dispatcher_builds_a_method_name() -> None:
    found = [
        f"{path.name}:{n}"
        for path in sorted(LIVE.glob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"getattr\(self, f\"_", line)
    ]
    assert found == []
