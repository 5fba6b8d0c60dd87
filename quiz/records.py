"""The one read side of what an event left in the database: a stored match's rules and its
replayed engine, the audience's judged questions, prize draws and the newest tournament.

The report (``quiz.report``), the export (``quiz.ops``) and the live server's restart path
read stored matches through here, so a match row means the same thing everywhere: its
``rules`` JSON holds the engine's rules plus the server's own switches (fair-buzzing
compensation), and its log, replayed through :meth:`quiz.engine.Match.replay`, is the source
of truth. Everything is read with the typed models; nothing here writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from quiz.audience import Draw
from quiz.engine import Match, MatchRules, command_from_dict
from quiz.engine.commands import Command
from quiz.models.audience import AudienceAnswer, AudienceMember, AudienceQuestion, PrizeDraw
from quiz.models.base import Base
from quiz.models.live import Match as MatchRow
from quiz.models.live import MatchLogEntry
from quiz.models.tournament import Tournament as TournamentRow
from quiz.tournament import Tournament

#: The server's switch stored beside the engine's rules: fair-buzzing compensation (default on).
COMPENSATION_KEY = "compensation"
ENGINE_RULES = frozenset(f.name for f in fields(MatchRules))


def match_rules(row: MatchRow) -> tuple[MatchRules, bool]:
    """A match row's rules: (the engine's rules, fair-buzzing compensation on?).

    Only the engine's own keys go to the engine, so a switch the server adds later never
    stops an old match from replaying; a row without rules gets the defaults."""
    stored: Any = row.rules if isinstance(row.rules, dict) else {}
    engine = {k: v for k, v in stored.items() if k in ENGINE_RULES}
    return MatchRules.from_dict(engine), stored.get(COMPENSATION_KEY, True) is not False


def log_entries(session: Session, match_id: int) -> Sequence[MatchLogEntry]:
    """A match's log entries in log order."""
    return session.scalars(
        select(MatchLogEntry)
        .where(MatchLogEntry.match_id == match_id)
        .order_by(MatchLogEntry.index)
    ).all()


def log_commands(entries: Sequence[MatchLogEntry]) -> list[tuple[Command, int]]:
    """The commands of log entries with the time they were applied, ready to replay."""
    return [(command_from_dict(e.command), e.now_ms) for e in entries]


def load_log(session: Session, match_id: int) -> list[tuple[Command, int]]:
    """A match's stored log, ready to replay (what ``quiz.live.service.load_log`` reads)."""
    return log_commands(log_entries(session, match_id))


def replay(
    session: Session,
    row: MatchRow,
    *,
    rules: MatchRules | None = None,
    entries: Sequence[MatchLogEntry] | None = None,
) -> Match:
    """The match rebuilt from its log (the source of truth); raises if it no longer replays.

    ``rules`` defaults to :func:`match_rules` of the row; ``entries`` to its stored log (pass
    them when the caller reads the log anyway)."""
    if rules is None:
        rules, _compensation = match_rules(row)
    if entries is None:
        entries = log_entries(session, row.id)
    return Match.replay(rules, log_commands(entries))


def has_tables(session: Session, *models: type[Base]) -> bool:
    """Whether the database has the models' tables (a database from before a migration
    does not, which readers report as "none recorded" rather than as zeros)."""
    found = inspect(session.get_bind())
    return all(found.has_table(str(m.__tablename__)) for m in models)


@dataclass(frozen=True)
class JudgedQuestion:
    """One closed audience question and its stored verdicts.

    ``match_id`` is None for a question of an audience-only quiz; ``question_id`` is the
    question version id as the match log's ``show_question`` stores it; ``verdicts`` maps each
    phone that answered (its stored, hashed id) to whether it was right."""

    stage: str
    match_id: int | None
    question_id: str
    verdicts: Mapping[str, bool]

    @property
    def answered(self) -> int:
        return len(self.verdicts)

    @property
    def correct(self) -> int:
        return sum(1 for right in self.verdicts.values() if right)


def judged_questions(session: Session, event_id: int) -> list[JudgedQuestion]:
    """Every closed audience question of an event with its judged answers, in the order they
    were asked. Only closed ones count: an open or cancelled question has no verdicts."""
    rows = session.execute(
        select(
            AudienceQuestion.id,
            AudienceQuestion.stage,
            AudienceQuestion.match_id,
            AudienceQuestion.question_id,
            AudienceMember.phone,
            AudienceAnswer.correct,
        )
        .outerjoin(
            AudienceAnswer,
            (AudienceAnswer.round_id == AudienceQuestion.id) & AudienceAnswer.correct.is_not(None),
        )
        .outerjoin(AudienceMember, AudienceMember.id == AudienceAnswer.member_id)
        .where(AudienceQuestion.event_id == event_id, AudienceQuestion.status == "closed")
        .order_by(AudienceQuestion.id, AudienceAnswer.id)
    ).all()
    out: dict[int, JudgedQuestion] = {}
    for round_id, stage, match_id, question_id, phone, correct in rows:
        question = out.get(round_id)
        if question is None:  # rows come grouped by question, in order
            verdicts: dict[str, bool] = {}
            question = out[round_id] = JudgedQuestion(stage, match_id, str(question_id), verdicts)
        if phone is not None:
            verdicts[phone] = bool(correct)
    return list(out.values())


def draws(session: Session, event_id: int) -> list[Draw]:
    """Every prize draw of an event (prepared or drawn), restored and verified, oldest first."""
    rows = session.scalars(
        select(PrizeDraw).where(PrizeDraw.event_id == event_id).order_by(PrizeDraw.id)
    )
    return [Draw.from_dict(row.record) for row in rows]


def tournament(session: Session, event_id: int) -> Tournament | None:
    """The event's newest tournament (the one in play), or None."""
    row = session.scalars(
        select(TournamentRow)
        .where(TournamentRow.event_id == event_id)
        .order_by(TournamentRow.id.desc())
        .limit(1)
    ).first()
    return None if row is None else Tournament.from_dict(row.state)
