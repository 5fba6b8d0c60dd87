"""``quiz.records``: the one read side of stored matches. The report, export and live tests
exercise it against real databases; here are the rules of a match row on their own."""

from __future__ import annotations

from pathlib import Path

import pytest

from quiz.engine import MatchRules
from quiz.models.live import Match as MatchRow
from quiz.records import match_rules


@pytest.mark.parametrize(
    ("stored", "compensation"),
    [
        ({}, True),
        ({"compensation": True}, True),
        ({"compensation": False}, False),
        ({"compensation": None}, True),  # only an explicit False turns it off
    ],
)
def test_compensation_is_on_unless_turned_off(
    stored: dict[str, object], compensation: bool
) -> None:
    assert match_rules(MatchRow(rules=stored)) == (MatchRules(), compensation)


def test_engine_gets_only_its_own_rules() -> None:
    defaults = MatchRules().to_dict()
    changed = next(k for k, v in defaults.items() if isinstance(v, int) and not isinstance(v, bool))
    stored = {changed: defaults[changed] + 1, "compensation": False, "a_later_switch": 1}
    rules, compensation = match_rules(MatchRow(rules=stored))
    assert rules.to_dict() == {**defaults, changed: defaults[changed] + 1}
    assert compensation is False


def test_a_row_without_rules_gets_the_defaults() -> None:
    assert match_rules(MatchRow(rules=None)) == (MatchRules(), True)


def test_bad_engine_values_still_raise() -> None:
    defaults = MatchRules().to_dict()
    key = next(k for k, v in defaults.items() if isinstance(v, int) and not isinstance(v, bool))
    with pytest.raises(ValueError):
        match_rules(MatchRow(rules={key: "soon"}))


def test_the_log_replays_to_the_engine_state(tmp_path: Path) -> None:
    from quiz.db import make_engine, make_session_factory
    from quiz.engine import Match
    from quiz.engine import commands as C
    from quiz.engine.serde import command_to_dict
    from quiz.models.base import Base
    from quiz.models.live import Contestant, MatchLogEntry, QuizEvent
    from quiz.records import load_log, replay

    commands = [(C.ShowQuestion("q1"), 1_000), (C.OpenBuzzing(), 2_000)]

    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    Base.metadata.create_all(engine)
    sessions = make_session_factory(engine)
    live = Match(MatchRules())
    with sessions.begin() as session:
        event = QuizEvent(title="t")
        session.add(event)
        session.flush()
        red, blue = (
            Contestant(event_id=event.id, name="红"),
            Contestant(event_id=event.id, name="蓝"),
        )
        session.add_all([red, blue])
        session.flush()
        row = MatchRow(event_id=event.id, red_id=red.id, blue_id=blue.id, rules={})
        session.add(row)
        session.flush()
        for index, (command, now) in enumerate(commands):
            live.apply(command, now)
            session.add(
                MatchLogEntry(
                    match_id=row.id,
                    index=index,
                    seq=index + 1,
                    command=command_to_dict(command),
                    now_ms=now,
                    events=[],
                )
            )
        match_id = row.id
    with sessions() as session:
        row = session.get(MatchRow, match_id)
        assert row is not None
        assert load_log(session, match_id) == commands
        assert replay(session, row).snapshot() == live.snapshot() != Match(MatchRules()).snapshot()
    engine.dispose()
