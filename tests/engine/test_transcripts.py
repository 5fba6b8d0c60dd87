"""Known-answer transcripts: timed commands and the events the rules say must follow.

Each YAML file in ``transcripts/`` was written from ``docs/rules.md``, not from the code. An
expected event lists only the fields that matter; every listed field must match exactly and the
number and order of events must match too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from quiz.engine import (
    IllegalCommand,
    Match,
    MatchRules,
    Side,
    command_from_dict,
    event_to_dict,
)
from quiz.engine import commands as C

HERE = Path(__file__).parent / "transcripts"


def _cases() -> list[Any]:
    cases = []
    for path in sorted(HERE.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            cases.append(pytest.param(doc, id=f"{path.stem}: {doc['name'][:60]}"))
    return cases


def _matches(expected: dict[str, Any], actual: dict[str, Any]) -> bool:
    return all(k in actual and actual[k] == v for k, v in expected.items())


@pytest.mark.parametrize("case", _cases())
def test_transcript(case: dict[str, Any]) -> None:
    match = Match(MatchRules.from_dict(case.get("rules") or {}))
    for device, side in (case.get("devices") or {}).items():
        match.apply(C.BindDevice(Side(side), device), 0)
    for i, step in enumerate(case["steps"]):
        command = command_from_dict(step["cmd"])
        where = f"step {i} ({step['cmd']['type']} at {step['at']})"
        if "raises" in step:
            before = match.snapshot()
            with pytest.raises(IllegalCommand) as info:
                match.apply(command, step["at"])
            assert info.value.code == step["raises"], where
            assert match.snapshot() == before, f"{where}: state changed by an illegal command"
            continue
        events = [event_to_dict(e) for e in match.apply(command, step["at"])]
        expected = step["expect"]
        assert len(events) == len(expected), f"{where}: got {events}"
        for want, got in zip(expected, events, strict=True):
            assert _matches(want, got), f"{where}: expected {want}, got {got}"
    snap = match.snapshot()
    final = case.get("final") or {}
    for key, value in final.items():
        if isinstance(value, dict):
            for sub, subvalue in value.items():
                assert snap[key][sub] == subvalue, f"final {key}.{sub}"
        else:
            assert snap[key] == value, f"final {key}"
    # Whatever happened, replaying the log reproduces it exactly.
    assert Match.replay(match.rules, match.log).state == match.state
