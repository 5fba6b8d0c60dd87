"""The rules of a head-to-head buzzer match as a pure state machine.

Stdlib only: no Flask, no database, no YAML, no clock reads, no sleeps, no I/O (a test
enforces it). Commands go in with the server time, events come out; deadlines are data that
``Tick`` expires. The transport, persistence and fair-buzzing layers are built around this
module without changing it.

    match = Match(MatchRules())
    events = match.apply(commands.ShowQuestion("AF-001", "choice", ("B",), 4), now_ms)
"""

from quiz.engine import commands, events
from quiz.engine.errors import IllegalCommand
from quiz.engine.machine import ALLOWED, ALLOWED_WHILE_PAUSED, Match
from quiz.engine.rules import EarlyPenalty, MatchRules, OpenMode, Rebound, Side, TieRule
from quiz.engine.serde import (
    COMMAND_TYPES,
    EVENT_TYPES,
    command_from_dict,
    command_to_dict,
    event_from_dict,
    event_to_dict,
    type_name,
)
from quiz.engine.state import MatchState, Outcome, Phase, Termination

__all__ = [
    "ALLOWED",
    "ALLOWED_WHILE_PAUSED",
    "COMMAND_TYPES",
    "EVENT_TYPES",
    "EarlyPenalty",
    "IllegalCommand",
    "Match",
    "MatchRules",
    "MatchState",
    "OpenMode",
    "Outcome",
    "Phase",
    "Rebound",
    "Side",
    "Termination",
    "TieRule",
    "command_from_dict",
    "command_to_dict",
    "commands",
    "event_from_dict",
    "event_to_dict",
    "events",
    "type_name",
]
