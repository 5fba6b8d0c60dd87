"""Audience play-along (有奖问答): nicknames, answers, scores, leaderboard and prize draws.

Pure and stdlib only, like ``quiz.engine``: no Flask, no database, no clock (times come in as
``at_ms``), no I/O. ``secrets`` is the one source of randomness, injectable for tests. None
of these classes locks: the server serialises access per event. ``docs/audience.md`` states
the rules, the scoring formula and how a draw's fairness is checked.

    nick = Nicknames(); nick.issue(phone)                      # 护网卫士-0427
    q = Tally("m1-q3", ("A", "B", "C", "D"), {"B"}, opened_at_ms=now, duration_ms=10_000)
    q.answer(phone, "B", at_ms)                                # Verdict.ACCEPTED
    ledger.add(q.close(at_ms), stage="match-1")
    ledger.leaderboard(); ledger.rank_of(phone)
    draw = Draw.prepare("d1", Prize.create("p1", "纪念U盘", 3), ledger, Eligibility(2), at_ms=now)
    draw = draw.run(codes, at_ms=later, public_input="4821", nickname=nick.name)
"""

from quiz.audience.answers import (
    Outcome,
    RoundResult,
    Scoring,
    Tally,
    Verdict,
    speed_points,
)
from quiz.audience.draw import (
    ClaimCodes,
    Draw,
    Prize,
    Winner,
    export_csv,
    export_json,
    verify_public,
)
from quiz.audience.errors import AudienceError
from quiz.audience.ledger import Eligibility, Ledger, PhoneScore, Row, eligible
from quiz.audience.nicknames import NICKNAME_MAX, PREFIXES, Handle, Nicknames
from quiz.audience.text import InvalidName, clean_name

__all__ = [
    "NICKNAME_MAX",
    "PREFIXES",
    "AudienceError",
    "ClaimCodes",
    "Draw",
    "Eligibility",
    "Handle",
    "InvalidName",
    "Ledger",
    "Nicknames",
    "Outcome",
    "PhoneScore",
    "Prize",
    "RoundResult",
    "Row",
    "Scoring",
    "Tally",
    "Verdict",
    "Winner",
    "clean_name",
    "eligible",
    "export_csv",
    "export_json",
    "speed_points",
    "verify_public",
]
