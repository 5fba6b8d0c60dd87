"""The audience part of the live protocol (docs/protocol.md §14): the arguments of the audience
phones' and the host's audience commands, checked into typed values, and the event names the
server sends.

Command *types* are routed by the one table ``quiz.live.routes.ROUTES``, which names the
payload model of each row; the audience commands' models are defined here.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, StrictBool, StrictInt, StrictStr

from quiz.audience import NICKNAME_MAX
from quiz.audience.draw import MAX_WINNERS, PRIZE_NAME_MAX, PUBLIC_INPUT_MAX
from quiz.live.protocol import _Strict

#: Server -> client events of the audience feature.
EVENT_COUNT = "audience"  # live answer count (and the tally once closed), host and LED
EVENT_ROUND = "audience_round"  # the question put to the audience, then its result
EVENT_YOU = "audience_you"  # one phone's own nickname, answer, verdict, rank and prizes
EVENT_SCREEN = "audience_screen"  # what the LED shows: leaderboard, draw, audience result...
EVENT_ADMIN = "audience_admin"  # the host's audience panel

SCREENS = ("match", "question", "result", "leaderboard", "draw", "survey")
TIMER_MIN_MS = 3_000
TIMER_MAX_MS = 600_000
Letter = Field(min_length=1, max_length=1, pattern="^[A-Z]$")


class Answer(_Strict):
    """An audience phone's answer: ``round`` is the round id it was shown (``r12``), so an
    answer meant for a question that has just closed is never counted for the next one."""

    round: StrictStr | None = Field(default=None, min_length=1, max_length=64)
    choices: list[StrictStr] = Field(min_length=1, max_length=26)


class Nickname(_Strict):
    # The domain cleans and measures the name; this only bounds the raw input.
    name: StrictStr = Field(max_length=4 * NICKNAME_MAX)


class AudienceSettingsArgs(_Strict):
    scoring: Literal["count", "speed"] | None = None
    allow_change: StrictBool | None = None
    #: Audience answer time in ms; null: no timer of its own (until judged).
    timer_ms: StrictInt | None = Field(default=None, ge=TIMER_MIN_MS, le=TIMER_MAX_MS)
    no_timer: StrictBool = False


class ApproveNickname(_Strict):
    """Approve or reject a requested nickname. An approval names the exact text the host saw
    (``name``): a phone that changed its request meanwhile is not approved (issue #15)."""

    member: StrictInt
    approve: StrictBool
    name: StrictStr | None = Field(default=None, max_length=4 * NICKNAME_MAX)


class ExcludeAddress(_Strict):
    """Leave (or, with ``exclude`` false, put back) an address's phones out of the draws."""

    address: StrictStr = Field(min_length=1, max_length=16)
    exclude: StrictBool = True


class StartQuiz(_Strict):
    """Start an audience-only round (有奖问答 segment) drawing from the bank with ``filter``."""

    filter: dict[str, Any] | None = None
    timer_ms: StrictInt | None = Field(default=None, ge=TIMER_MIN_MS, le=TIMER_MAX_MS)


class NextQuestion(_Strict):
    question_id: StrictStr | None = Field(default=None, min_length=1, max_length=100)


class Screen(_Strict):
    screen: Literal["match", "question", "result", "leaderboard", "draw", "survey"]


class PrepareDraw(_Strict):
    prize: StrictStr = Field(max_length=4 * PRIZE_NAME_MAX)
    count: StrictInt = Field(ge=1, le=MAX_WINNERS)
    min_correct: StrictInt = Field(default=1, ge=0, le=10_000)
    #: A stage (``match-3``, ``quiz-1``) to count correct answers in; null: the whole event.
    stage: StrictStr | None = Field(default=None, min_length=1, max_length=64)
    allow_repeat: StrictBool = False
    exclude_winners: StrictBool = True


class RunDraw(_Strict):
    draw: StrictStr = Field(min_length=1, max_length=64)
    public_input: StrictStr = Field(default="", max_length=4 * PUBLIC_INPUT_MAX)


class ExportDraws(_Strict):
    format: Literal["json", "csv"] = "json"
    include_codes: StrictBool = True


__all__ = [
    "EVENT_ADMIN",
    "EVENT_COUNT",
    "EVENT_ROUND",
    "EVENT_SCREEN",
    "EVENT_YOU",
    "SCREENS",
    "Answer",
    "Nickname",
]
