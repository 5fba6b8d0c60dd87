"""One live match: the engine ``Match``, its lock, its persisted log and its role views.

Commands are decided in memory under the match lock, then the accepted command and its
events are appended to ``match_log`` in one short transaction, and only then is the new state
broadcast. If the write fails the engine is rebuilt from the log that did get written, so
memory never runs ahead of the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from quiz.engine import (
    IllegalCommand,
    Match,
    MatchRules,
    Phase,
    command_to_dict,
    event_to_dict,
)
from quiz.engine import commands as C
from quiz.fair import BuzzReceipt
from quiz.live.concurrency import Lock
from quiz.live.fairness import RECEIPT_TYPE, FairMatch
from quiz.live.ledger import provide
from quiz.live.protocol import ProtocolError
from quiz.live.questions import QuestionSource, QuestionView
from quiz.models.live import Match as MatchRow
from quiz.models.live import MatchLogEntry, utcnow

SIDE_COLOURS = {"red": "#d7263d", "blue": "#1b65d4"}

#: Most significant first: a change's ``moment`` is its highest-ranked event.
MOMENT_RANK = (
    "match_won",
    "match_ended",
    "game_won",
    "answer_judged",
    "question_voided",
    "tie_declared",
    "buzz_won",
    "early_buzz",
    "buzzing_opened",
    "countdown_started",
    "rebound_offered",
    "answer_started",
    "question_shown",
    "overridden",
    "games_adjusted",
    "undone",
    "paused",
    "resumed",
    "match_point",
    "arbitration_started",
    "answer_begun",
    "choice_submitted",
    "buzz_accepted",
    "buzz_rejected",
    "device_bound",
    "device_unbound",
)
_RANK = {name: i for i, name in enumerate(MOMENT_RANK)}
#: Engine fields of the question in play that describe play, not the question itself.
_QUESTION_SPEC_KEYS = (
    "id",
    "kind",
    "option_count",
    "multiple",
    "answer",
    "answer_time_ms",
    "number",
)
#: Events that leave the match as it was (a buzz or choice that does not count). A host
#: command based on a state older only by these is not stale: a phone hammering its button
#: must not make every host click bounce.
IMMATERIAL_EVENTS = frozenset({"buzz_rejected"})


def outcome(events: list[dict[str, Any]]) -> dict[str, Any]:
    """What an ack says of a match command's effect (docs/protocol.md §4): the event types,
    and ``applied: false`` with a ``reason`` when nothing counted (a buzz or a choice the
    engine rejected, which is acknowledged but changes nothing)."""
    types = [e["type"] for e in events]
    if any(t not in IMMATERIAL_EVENTS for t in types):
        return {"events": types, "applied": True}
    return {"events": types, "applied": False, "reason": types[0] if types else "no_effect"}


def pick_moment(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not events:
        return None
    return min(events, key=lambda e: _RANK.get(e["type"], len(_RANK)))


@dataclass
class MatchService:
    match_id: int
    event_id: int
    number: int
    sides: dict[str, dict[str, Any]]
    rules: MatchRules
    question_filter: dict[str, Any]
    seed: str
    engine: Match
    lock: Lock
    status: str = "live"
    # Fair buzzing: the compensation switch and the buzz receipts (quiz/live/fairness.py).
    fair: FairMatch = field(default_factory=FairMatch)
    # The seq after the last change that was not only IMMATERIAL_EVENTS.
    material_seq: int = 0

    # --- reading -----------------------------------------------------------------------------

    @property
    def seq(self) -> int:
        return self.engine.seq

    @property
    def phase(self) -> str:
        return self.engine.phase.value

    def shown_question_ids(self) -> list[str]:
        return [c.question_id for c, _ in self.engine.log if isinstance(c, C.ShowQuestion)]

    def current_question_id(self) -> str | None:
        play = self.engine.state.play
        return play.spec.question_id if play is not None else None

    def view(self, questions: QuestionSource) -> dict[str, Any]:
        """The full (host) view of ``state.match``; redaction happens per role later."""
        snap = self.engine.snapshot()
        played = snap.pop("question", None)
        question: dict[str, Any] | None = None
        engine = dict(snap)
        engine["game_no"] = snap.get("game")
        if played is not None:
            found = questions.get(str(played["id"]))
            question = found.public() if found is not None else {"id": str(played["id"])}
            for key in _QUESTION_SPEC_KEYS:
                question.setdefault(key, played.get(key))
            question["answer"] = list(played.get("answer") or ())
            question["number"] = played.get("number")
            engine.update({k: v for k, v in played.items() if k not in _QUESTION_SPEC_KEYS})
            engine["question_number"] = played.get("number")
        return {
            "id": self.match_id,
            "number": self.number,
            "status": self.status,
            "sides": self.sides,
            "rules": self.rules.to_dict(),
            "phase": snap["phase"],
            "paused": snap["paused"],
            "question": question,
            "engine": engine,
            "fair": self.fair.view(self.rules),  # host only (quiz/live/redact.py)
        }

    # --- changing ----------------------------------------------------------------------------

    def apply(
        self,
        command: C.Command,
        now: int,
        sessions: sessionmaker[Session],
        on_change: Callable[[MatchService, list[dict[str, Any]]], None],
        receipt: BuzzReceipt | None = None,
    ) -> list[dict[str, Any]]:
        """Apply, persist, then let ``on_change`` broadcast. Returns the events as dicts.

        Host commands the rules forbid raise :class:`ProtocolError` with the engine's code.
        ``receipt`` is the pending receipt of a buzz; receipts the events settle are
        persisted with them.
        """
        with self.lock:
            before = len(self.engine.log)
            try:
                events = self.engine.apply(command, now)
            except IllegalCommand as exc:
                raise ProtocolError(exc.code, exc.message) from None
            if not events:
                return []
            dicts = [event_to_dict(e) for e in events]
            fair = self.fair.expecting(receipt) if receipt is not None else self.fair
            fair, receipts = fair.observe(command, now, events)
            # The ack is stored with the log rows (quiz/live/ledger.py).
            provide(seq=self.engine.seq, **outcome(dicts))
            try:
                self._persist(sessions, before, dicts + receipts)
            except Exception:
                self.engine = Match.replay(self.rules, self.engine.log[:before])
                raise
            self.fair = fair
            if any(e["type"] not in IMMATERIAL_EVENTS for e in dicts):
                self.material_seq = self.engine.seq
            on_change(self, dicts)
            return dicts

    def _persist(
        self, sessions: sessionmaker[Session], before: int, events: list[dict[str, Any]]
    ) -> None:
        log = self.engine.log
        with sessions.begin() as session:
            for index, (cmd, at) in enumerate(log[before:], start=before):
                session.add(
                    MatchLogEntry(
                        match_id=self.match_id,
                        index=index,
                        command=command_to_dict(cmd),
                        now_ms=at,
                        events=events,
                        seq=self.engine.seq,
                    )
                )
            if self.engine.phase is Phase.FINISHED and self.status == "live":
                row = session.get(MatchRow, self.match_id)
                if row is not None:
                    row.status = "finished"
                    row.finished = utcnow()
                    row.outcome = self.outcome_dict()
                self.status = "finished"
            elif self.engine.phase is not Phase.FINISHED and self.status == "finished":
                # An undo out of the final state reopens the match.
                row = session.get(MatchRow, self.match_id)
                if row is not None:
                    row.status, row.finished, row.outcome = "live", None, None
                self.status = "live"

    def outcome_dict(self) -> dict[str, Any] | None:
        outcome = self.engine.outcome
        if outcome is None:
            return None
        return {
            "winner": outcome.winner.value if outcome.winner else None,
            "termination": outcome.termination.value,
            "games": {"red": outcome.red, "blue": outcome.blue},
        }

    def show_question(
        self,
        question_id: str | None,
        questions: QuestionSource,
        used_elsewhere: set[str],
    ) -> tuple[C.ShowQuestion, QuestionView]:
        """The ``ShowQuestion`` command for a given or freshly drawn question.

        A drawn question is new to the whole event: ``used_elsewhere`` holds the question
        codes shown by the event's other matches."""
        if question_id is not None:
            found = questions.get(question_id)
            if found is None:
                raise ProtocolError("not_found", f"no question with id {question_id[:40]!r}")
        else:
            used = set(used_elsewhere)
            for shown_id in self.shown_question_ids():
                shown = questions.get(shown_id)
                used.add(shown.code if shown is not None else shown_id)
            found = questions.draw(self.question_filter, self.seed, used)
            if found is None:
                raise ProtocolError("bank_empty", "no question left that matches the filter")
        command = C.ShowQuestion(
            question_id=found.id,
            kind=found.engine_kind,
            answer=found.answer,
            option_count=len(found.options),
            answer_time_ms=found.answer_time_ms,
            multiple=found.kind == "multiple",
        )
        return command, found


def material_seq(session: Session, match_id: int) -> int:
    """:attr:`MatchService.material_seq` of a match, from its log (after a restart)."""
    rows = session.execute(
        select(MatchLogEntry.seq, MatchLogEntry.events)
        .where(MatchLogEntry.match_id == match_id)
        .order_by(MatchLogEntry.index.desc())
    )
    ignored = IMMATERIAL_EVENTS | {RECEIPT_TYPE}  # receipts are stored next to the events
    for seq, events in rows:
        if any(isinstance(e, dict) and e.get("type") not in ignored for e in events):
            return int(seq)
    return 0


__all__ = [
    "IMMATERIAL_EVENTS",
    "SIDE_COLOURS",
    "MatchService",
    "material_seq",
    "outcome",
    "pick_moment",
]
