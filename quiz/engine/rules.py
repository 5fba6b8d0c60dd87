"""Match rules: every configurable value of a head-to-head buzzer match, frozen.

Defaults follow Chinese 知识竞赛 conventions: best of five (五局三胜), the host opens buzzing,
20 s to answer, a wrong answer rebounds (补答) to the opponent, and an early buzz (违规) costs
that side the right to answer the question. ``docs/rules.md`` explains every option.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from typing import Any


class Side(StrEnum):
    RED = "red"
    BLUE = "blue"

    @property
    def other(self) -> Side:
        return Side.BLUE if self is Side.RED else Side.RED


class OpenMode(StrEnum):
    """How buzzing opens after a question is shown."""

    MANUAL = "manual"  # the host presses 开始 (optionally followed by the pre-countdown)
    AUTO = "auto"  # buzzing opens by itself after the reading time


class Rebound(StrEnum):
    """What a wrong answer does (补答)."""

    DIRECT = "direct"  # the opponent answers at once with its own timer
    BUZZ = "buzz"  # the opponent may buzz within a short window, then answers
    NONE = "none"  # no rebound: the question is void
    AWARD = "award"  # the wrong answer gives the game to the opponent


class EarlyPenalty(StrEnum):
    """What a buzz before buzzing opens (违规) costs."""

    LOSE_QUESTION = "lose_question"  # that side may not answer this question
    LOCKOUT = "lockout"  # that side's buzzer stays locked for lockout_ms after opening
    LOSE_GAME = "lose_game"  # the game goes to the opponent


class TieRule(StrEnum):
    """How a buzz race too close to call is settled (only with a commit window)."""

    HOST = "host"  # the host decides on the console
    REPLAY = "replay"  # the question is shown again
    RANDOM = "random"  # a seeded draw, reproducible from the match seed


_MS_FIELDS = (
    "reading_time_ms",
    "pre_countdown_ms",
    "open_lead_ms",
    "buzz_window_ms",
    "answer_time_ms",
    "rebound_answer_time_ms",
    "rebound_buzz_window_ms",
    "lockout_ms",
    "commit_window_ms",
)
_MAX_MS = 600_000


@dataclass(frozen=True, slots=True)
class MatchRules:
    games_to_win: int = 3
    open_mode: OpenMode = OpenMode.MANUAL
    reading_time_ms: int = 8_000
    pre_countdown_ms: int = 0
    open_lead_ms: int = 0
    buzz_window_ms: int = 10_000
    answer_time_ms: int = 20_000
    answer_begin_ms: int | None = None
    rebound: Rebound = Rebound.DIRECT
    rebound_answer_time_ms: int = 20_000
    rebound_buzz_window_ms: int = 5_000
    early_penalty: EarlyPenalty = EarlyPenalty.LOSE_QUESTION
    lockout_ms: int = 250
    commit_window_ms: int = 0
    tie_rule: TieRule = TieRule.HOST
    seed: str = ""

    def __post_init__(self) -> None:
        if type(self.games_to_win) is not int or not 1 <= self.games_to_win <= 9:
            raise ValueError("games_to_win must be an integer from 1 to 9")
        for name in _MS_FIELDS:
            value = getattr(self, name)
            if type(value) is not int or not 0 <= value <= _MAX_MS:
                raise ValueError(f"{name} must be an integer from 0 to {_MAX_MS}")
        if self.answer_begin_ms is not None and (
            type(self.answer_begin_ms) is not int or not 1 <= self.answer_begin_ms <= _MAX_MS
        ):
            raise ValueError("answer_begin_ms must be null or an integer from 1 to 600000")
        for name in ("buzz_window_ms", "answer_time_ms", "rebound_answer_time_ms"):
            if getattr(self, name) == 0:
                raise ValueError(f"{name} must be positive")
        if self.rebound is Rebound.BUZZ and self.rebound_buzz_window_ms == 0:
            raise ValueError("rebound_buzz_window_ms must be positive with rebound 'buzz'")
        if self.open_mode is OpenMode.AUTO and self.reading_time_ms == 0:
            raise ValueError("reading_time_ms must be positive with open_mode 'auto'")
        if not isinstance(self.seed, str) or len(self.seed) > 200:
            raise ValueError("seed must be a string of at most 200 characters")

    @property
    def open_delay_ms(self) -> int:
        """Time from the host's 开始 to buzzing actually opening."""
        return max(self.pre_countdown_ms, self.open_lead_ms)

    def to_dict(self) -> dict[str, Any]:
        return {k: (v.value if isinstance(v, StrEnum) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MatchRules:
        """Build rules from JSON; unknown keys and bad values raise ``ValueError``."""
        if not isinstance(data, dict):
            raise ValueError("rules must be an object")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown rule(s): {', '.join(map(str, unknown))}")
        enums: dict[str, type[StrEnum]] = {
            "open_mode": OpenMode,
            "rebound": Rebound,
            "early_penalty": EarlyPenalty,
            "tie_rule": TieRule,
        }
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key in enums:
                try:
                    kwargs[key] = enums[key](value)
                except ValueError:
                    allowed = ", ".join(m.value for m in enums[key])
                    raise ValueError(f"{key} must be one of: {allowed}") from None
            else:
                kwargs[key] = value
        return cls(**kwargs)
