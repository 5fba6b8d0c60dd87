"""The result of one tournament match, and the pairing it was played between."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from quiz.audience.jsonshape import Shape, checked_int
from quiz.engine.rules import Side

MAX_GAMES = 99
MAX_VIOLATIONS = 999


def _pair(value: object, where: str, hi: int) -> tuple[int, int]:
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError(f"{where} must be a [red, blue] pair")
    return checked_int(value[0], where, 0, hi), checked_int(value[1], where, 0, hi)


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Who won, games won per side and early buzzes (违规) per side.

    Unless ``forfeit`` is set, the winner must have won more games than the loser; a forfeit
    (弃权) may end a match at any score.
    """

    winner: Side
    red_games: int
    blue_games: int
    red_violations: int = 0
    blue_violations: int = 0
    forfeit: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.winner, Side):
            raise ValueError("winner must be red or blue")
        for name in ("red_games", "blue_games"):
            checked_int(getattr(self, name), name, 0, MAX_GAMES)
        for name in ("red_violations", "blue_violations"):
            checked_int(getattr(self, name), name, 0, MAX_VIOLATIONS)
        if type(self.forfeit) is not bool:
            raise ValueError("forfeit must be true or false")
        if not self.forfeit and self.games(self.winner) <= self.games(self.winner.other):
            raise ValueError("the winner must have won more games, unless it is a forfeit")

    def games(self, side: Side) -> int:
        return self.red_games if side is Side.RED else self.blue_games

    def violations(self, side: Side) -> int:
        return self.red_violations if side is Side.RED else self.blue_violations

    def to_dict(self) -> dict[str, Any]:
        return {
            "winner": self.winner.value,
            "games": [self.red_games, self.blue_games],
            "violations": [self.red_violations, self.blue_violations],
            "forfeit": self.forfeit,
        }

    @classmethod
    def from_dict(cls, data: object, where: str = "result") -> MatchResult:
        shape = Shape(data, where, ("winner", "games", "violations", "forfeit"))
        winner = shape.raw("winner")
        if winner not in ("red", "blue"):
            raise ValueError(f"{shape.at('winner')} must be 'red' or 'blue'")
        games = _pair(shape.raw("games"), shape.at("games"), MAX_GAMES)
        violations = _pair(shape.raw("violations"), shape.at("violations"), MAX_VIOLATIONS)
        return cls(Side(winner), *games, *violations, forfeit=shape.flag("forfeit"))


@dataclass(frozen=True, slots=True)
class Played:
    """A result together with the two entrants it was played between.

    Keeping the pairing is what lets a correction upstream find the results it invalidates.
    """

    result: MatchResult
    red: str
    blue: str

    def entrant(self, side: Side) -> str:
        return self.red if side is Side.RED else self.blue

    @property
    def winner(self) -> str:
        return self.entrant(self.result.winner)

    @property
    def loser(self) -> str:
        return self.entrant(self.result.winner.other)

    def to_dict(self) -> dict[str, Any]:
        return {"red": self.red, "blue": self.blue, **self.result.to_dict()}

    @classmethod
    def from_dict(cls, data: object, where: str = "played") -> Played:
        shape = Shape(data, where, ("red", "blue", "winner", "games", "violations", "forfeit"))
        red, blue = shape.text("red", 64), shape.text("blue", 64)
        rest = {k: v for k, v in shape.data.items() if k not in ("red", "blue")}
        return cls(MatchResult.from_dict(rest, where), red, blue)
