"""Tournaments (两两抢答): knockout, round robin or manual pairing of head-to-head matches.

Pure and stdlib only, like ``quiz.engine``: no Flask, no database, no clock. The server keeps
one ``Tournament`` per event, persists ``to_dict()`` after every action and restores it with
``Tournament.from_dict``. ``docs/tournament.md`` states the rules.

    t = Tournament.create("single_elimination", [("e1", "红星队"), ("e2", "蓝天队")])
    red, blue = t.pairing(t.next_match())
    t.record("R1M1", MatchResult(Side.RED, 3, 1, red_violations=1))
"""

from quiz.tournament.errors import TournamentError
from quiz.tournament.results import MatchResult, Played
from quiz.tournament.schedule import (
    THIRD_PLACE_ID,
    Feed,
    Slot,
    Source,
    bracket_positions,
    round_robin,
    seeded_order,
    single_elimination,
)
from quiz.tournament.standings import Standing, TieBreak, standings
from quiz.tournament.tournament import (
    Action,
    ActionKind,
    Change,
    Entrant,
    Format,
    Placement,
    Status,
    Tournament,
)

__all__ = [
    "THIRD_PLACE_ID",
    "Action",
    "ActionKind",
    "Change",
    "Entrant",
    "Feed",
    "Format",
    "MatchResult",
    "Placement",
    "Played",
    "Slot",
    "Source",
    "Standing",
    "Status",
    "TieBreak",
    "Tournament",
    "TournamentError",
    "bracket_positions",
    "round_robin",
    "seeded_order",
    "single_elimination",
    "standings",
]
