"""Where the report gets what the match log does not hold: audience answers, the tournament
bracket and prize draws.

:class:`StoredRecords` reads what the server stores: closed audience rounds with their judged
answers (``audience_round``, ``audience_answer``), prize draws (``prize_draw``, the
``quiz.audience.Draw`` record) and the event's newest tournament (``tournament``, the
``quiz.tournament.Tournament`` state). It reads them through :mod:`quiz.records`, the one
read side on the typed models, and only once the tables exist: a database from before the
audience or tournament migrations gives ``None``, which the report prints as "none recorded"
rather than as zeros. Another :class:`Supplements` can stand in (tests, or a server holding
more in memory); everything below turns the domain objects into report rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.orm import Session

from quiz import records
from quiz.audience import Draw, RoundResult
from quiz.models.audience import AudienceAnswer, AudienceQuestion, PrizeDraw
from quiz.models.tournament import Tournament as TournamentRow
from quiz.report.data import Bracket, BracketMatch, DrawSummary, Ranking, Rate
from quiz.tournament import Format, Tournament


@dataclass(frozen=True)
class AudienceTally:
    """The audience's judged answers to one question.

    ``question_id`` is the question version id exactly as the match log's ``show_question``
    command stores it, which is how a tally finds its question and category; ``match_id`` is
    None for a question of an audience-only round. ``phones`` tells phones apart (any stable
    key: the report only counts them)."""

    match_id: int | None
    question_id: str
    answered: int
    correct: int
    phones: frozenset[str]

    @classmethod
    def of_round(cls, match_id: int | None, question_id: str, result: RoundResult) -> AudienceTally:
        return cls(
            match_id=match_id,
            question_id=question_id,
            answered=result.answered,
            correct=result.correct,
            phones=frozenset(result.outcomes),
        )

    @property
    def rate(self) -> Rate:
        return Rate(self.correct, self.answered)


class Supplements(Protocol):
    """Recorded data beside the match logs; ``None`` means nothing was recorded."""

    def audience(self, session: Session, event_id: int) -> Sequence[AudienceTally] | None: ...

    def tournament(self, session: Session, event_id: int) -> Tournament | None: ...

    def draws(self, session: Session, event_id: int) -> Sequence[Draw] | None: ...


class NoneRecorded:
    """Nothing recorded beside the match logs."""

    def audience(self, session: Session, event_id: int) -> Sequence[AudienceTally] | None:
        return None

    def tournament(self, session: Session, event_id: int) -> Tournament | None:
        return None

    def draws(self, session: Session, event_id: int) -> Sequence[Draw] | None:
        return None


class StoredRecords:
    """What the server stores in the database, read through :mod:`quiz.records`."""

    def audience(self, session: Session, event_id: int) -> Sequence[AudienceTally] | None:
        """One tally per closed question; None when the event put no question to the audience.

        Only judged answers count (a question still open, or cancelled, has no verdicts)."""
        if not records.has_tables(session, AudienceQuestion, AudienceAnswer):
            return None
        judged = records.judged_questions(session, event_id)
        if not judged:
            return None
        return [
            AudienceTally(
                match_id=q.match_id,
                question_id=q.question_id,
                answered=q.answered,
                correct=q.correct,
                phones=frozenset(q.verdicts),
            )
            for q in judged
        ]

    def tournament(self, session: Session, event_id: int) -> Tournament | None:
        if not records.has_tables(session, TournamentRow):
            return None
        return records.tournament(session, event_id)

    def draws(self, session: Session, event_id: int) -> Sequence[Draw] | None:
        """Every draw prepared at the event, drawn or not (an empty list: none was held)."""
        if not records.has_tables(session, PrizeDraw):
            return None
        return records.draws(session, event_id)


def bracket_of(tournament: Tournament) -> Bracket:
    """The schedule with names and results, and the ranking (knockout places or the table)."""
    matches = []
    for slot in tournament.matches:
        red, blue = tournament.pairing(slot.id)
        played = tournament.results.get(slot.id)
        result = played.result if played is not None else None
        matches.append(
            BracketMatch(
                id=slot.id,
                round=slot.round,
                red=tournament.name(red) if red is not None else None,
                blue=tournament.name(blue) if blue is not None else None,
                status=tournament.status(slot.id).value,
                red_games=result.red_games if result else None,
                blue_games=result.blue_games if result else None,
                winner=tournament.name(played.winner) if played is not None else None,
                forfeit=bool(result and result.forfeit),
            )
        )
    if tournament.format is Format.SINGLE_ELIMINATION:
        ranking = [
            Ranking(place=p.place, name=tournament.name(p.entrant)) for p in tournament.placements()
        ]
    else:
        ranking = [
            Ranking(
                place=s.rank,
                name=tournament.name(s.entrant),
                wins=s.wins,
                losses=s.losses,
                games_won=s.games_won,
                games_lost=s.games_lost,
            )
            for s in tournament.standings()
        ]
    champion = tournament.champion()
    return Bracket(
        format=tournament.format.value,
        matches=tuple(matches),
        ranking=tuple(ranking),
        champion=tournament.name(champion) if champion is not None else None,
    )


def draw_summary(draw: Draw) -> DrawSummary:
    """A draw as the printed report shows it: claim codes stay out (they are the prize)."""
    return DrawSummary(
        id=draw.id,
        prize=draw.prize.name,
        count=draw.prize.count,
        eligible=len(draw.eligible),
        drawn=draw.drawn,
        winners=tuple(w.nickname for w in draw.winners or ()),
        commitment=draw.commitment,
    )


__all__ = [
    "AudienceTally",
    "NoneRecorded",
    "StoredRecords",
    "Supplements",
    "bracket_of",
    "draw_summary",
]
