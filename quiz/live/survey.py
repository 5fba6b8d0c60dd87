"""The satisfaction survey (满意率) in the live server: the host opens and closes it, audience
phones answer it once each, the host and the LED see the counts.

:class:`SurveyDesk` owns the commands ``survey_start``, ``survey_stop`` (host) and
``survey_answer`` (audience phones), routed by ``quiz.live.routes.ROUTES``. The rules (what a
survey file may say, what an answer may be, the tally) are the pure ``quiz.audience.survey``;
the survey file is read at ``survey_start`` (so the organiser may edit it up to then) from
``--survey``, else ``survey.yaml`` in the data folder, else the bundled default
(``question_bank/survey/survey.yaml``). Its problems are refused with ``file:line:column``.

Answers are anonymous (stored under the phone's salted hash, never with its nickname), one per
phone per event (a resend replaces the earlier answer while the survey is open), and
acknowledged only once committed: :class:`SurveyWriter` batches them like audience answers.
Counts go to the host and the LED at most four times a second (from the ticker). The free
text is never sent to any page: it is in the report only.

Lock order: the router's lock, then this desk's lock; the desk takes no other.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from pydantic import Field, StrictInt, StrictStr
from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from quiz.audience.survey import Survey, SurveyAnswer, SurveyError, SurveyTally, check_answer
from quiz.live import rooms
from quiz.live.audience_store import AnswerWriter
from quiz.live.concurrency import make_lock
from quiz.live.connections import Call
from quiz.live.protocol import NoArgs, ProtocolError, _Strict, validate_args
from quiz.models.survey import SurveyAnswer as AnswerRow
from quiz.models.survey import SurveyRun
from quiz.organiser_files import load_survey

log = logging.getLogger(__name__)

EVENT_SURVEY = "survey"  # the survey and its counts: host, LED, phones (never the free text)
ACK_TIMEOUT_S = 10.0
COUNT_EVERY_MS = 250
ANSWERS = cast(Table, AnswerRow.__table__)


class SurveyArgs(_Strict):
    """A phone's survey answer: the rating, each question's option key (by question id; a
    question left out is skipped) and the optional free text (cleaned and capped later)."""

    rating: StrictInt = Field(ge=1, le=5)
    choices: dict[StrictStr, StrictStr | None] = Field(default_factory=dict, max_length=3)
    comment: StrictStr | None = Field(default=None, max_length=1000)


@dataclass(frozen=True, slots=True)
class SurveyWrite:
    """One answer to write: a new row, or (``change``) the phone's earlier one replaced."""

    event_id: int
    run_id: int
    phone: str
    answer: SurveyAnswer
    at_ms: int
    change: bool
    previous: SurveyAnswer | None


class SurveyWriter(AnswerWriter):
    """The audience answer writer's batching, writing survey answers."""

    def _write(self, items: list[SurveyWrite]) -> None:  # type: ignore[override]
        def row(i: SurveyWrite) -> dict[str, Any]:
            return {
                "run_id": i.run_id,
                "rating": i.answer.rating,
                "choices": i.answer.choice_map(),
                "comment": i.answer.comment,
                "at_ms": i.at_ms,
            }

        news = [{"event_id": i.event_id, "phone": i.phone, **row(i)} for i in items if not i.change]
        with self.sessions.begin() as session:
            if news:
                session.execute(insert(ANSWERS), news)
            for i in items:  # in arrival order, after the inserts
                if i.change:
                    session.execute(
                        update(ANSWERS)
                        .where(ANSWERS.c.event_id == i.event_id, ANSWERS.c.phone == i.phone)
                        .values(**row(i))
                    )


def answer_from_row(row: AnswerRow) -> SurveyAnswer:
    choices = tuple(sorted((str(k), v) for k, v in (row.choices or {}).items()))
    return SurveyAnswer(row.rating, choices, row.comment)


class SurveyDesk:
    """The current event's survey (see the module docstring)."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        socketio: Any,
        async_mode: str,
        clock: Callable[[], int],
        phone: Callable[[Any], str],
        show: Callable[[], Any],
        source: Path | None = None,
    ) -> None:
        self.sessions = sessions
        self.socketio = socketio
        self.clock = clock
        self._phone = phone  # the audience phone behind a socket (the audience desk's)
        self._show = show  # put the survey on the LED's audience layer
        self.source = source
        self.lock = make_lock(async_mode)
        self.writer = SurveyWriter(
            sessions, socketio, async_mode, on_failure=lambda items: self._lost(items)
        )
        self.event_id: int | None = None
        self.run_id: int | None = None
        self.survey: Survey | None = None
        self.open = False
        self.tally = SurveyTally()
        self._dirty = False
        self._sent_at = 0

    def start(self) -> None:
        self.writer.start()

    def stop(self) -> None:
        self.writer.stop()

    # --- loading -----------------------------------------------------------------------------

    def load(self, event_id: int) -> None:
        """The event's last survey and every answer, from the database."""
        with self.sessions() as session:
            run = session.scalars(
                select(SurveyRun)
                .where(SurveyRun.event_id == event_id)
                .order_by(SurveyRun.id.desc())
            ).first()
            rows = session.scalars(select(AnswerRow).where(AnswerRow.event_id == event_id)).all()
            survey = None if run is None else Survey.from_dict(run.spec)
            tally = SurveyTally({r.phone: answer_from_row(r) for r in rows})
            with self.lock:
                self.event_id = event_id
                self.run_id = None if run is None else run.id
                self.survey = survey
                self.open = run is not None and run.closed_at_ms is None
                self.tally = tally

    def switch_event(self, event_id: int) -> None:
        self.writer.flush()
        self.load(event_id)
        self.send_all()

    # --- views -------------------------------------------------------------------------------

    def view(self) -> dict[str, Any]:
        """The ``survey`` payload: the questions, whether it is open and the counts (no free
        text: ``comments`` is only how many phones wrote one)."""
        survey = self.survey
        return {
            "v": 1,
            "run": self.run_id,
            "open": self.open,
            "survey": None if survey is None else survey.to_dict(),
            "result": None if survey is None else self.tally.result(survey),
        }

    def _emit(self, payload: dict[str, Any], to: str) -> None:
        self.socketio.emit(EVENT_SURVEY, payload, to=to, namespace=rooms.NAMESPACE)

    def send_all(self) -> None:
        event_id = self.event_id or 0
        with self.lock:
            payload = self.view()
            self._dirty = False
            self._sent_at = self.clock()
        for room in (
            rooms.room_host(event_id),
            rooms.room_display(event_id),
            rooms.room_audience(event_id),
        ):
            self._emit(payload, room)

    def connected(self, client: Any) -> None:
        if self.event_id is None or (self.survey is None and client.role == "audience"):
            return
        if client.role in ("host", "display", "audience"):
            with self.lock:
                payload = self.view()
            self._emit(payload, client.sid)

    def tick(self, now: int) -> int:
        """Counts to the host and the LED, at most every ``COUNT_EVERY_MS``; ms until due."""
        with self.lock:
            if not self._dirty:
                return COUNT_EVERY_MS * 4
            due = self._sent_at + COUNT_EVERY_MS - now
            if due > 0:
                return due
            payload = self.view()
            self._dirty = False
            self._sent_at = now
        event_id = self.event_id or 0
        for room in (rooms.room_host(event_id), rooms.room_display(event_id)):
            self._emit(payload, room)
        return COUNT_EVERY_MS * 4

    # --- host commands -----------------------------------------------------------------------

    def survey_start(self, args: NoArgs) -> dict[str, Any]:
        """Open the survey on every audience phone (the file is read now) and show it on the
        LED. Answers already given in this event stay counted."""
        if self.event_id is None:
            raise ProtocolError("conflict", "no event")
        survey, problems = load_survey(self.source)
        if survey is None:
            raise ProtocolError("invalid", "; ".join(problems[:5])[:600])
        now = self.clock()
        with self.sessions.begin() as session:
            run = SurveyRun(event_id=self.event_id, spec=survey.to_dict(), opened_at_ms=now)
            session.add(run)
            session.flush()
            run_id = run.id
        with self.lock:
            self.run_id, self.survey, self.open = run_id, survey, True
        self.send_all()
        self._show()
        return {"run": run_id, "questions": len(survey.questions)}

    def survey_stop(self, args: NoArgs) -> dict[str, Any]:
        """Close the survey: phones stop taking it; the LED keeps its result."""
        if self.run_id is None or not self.open:
            raise ProtocolError("no_survey", "no survey is open")
        self.writer.flush()
        with self.sessions.begin() as session:
            session.execute(
                update(SurveyRun)
                .where(SurveyRun.id == self.run_id)
                .values(closed_at_ms=self.clock())
            )
        with self.lock:
            self.open = False
            answered = len(self.tally)
        self.send_all()
        return {"answered": answered}

    # --- phones ------------------------------------------------------------------------------

    def survey_answer(self, call: Call) -> dict[str, Any]:
        """One phone's answer; acknowledged once committed. A resend replaces the earlier
        answer (``changed``) or repeats it (``unchanged``) while the survey is open."""
        phone = self._phone(call.client)
        args = validate_args(SurveyArgs, call.cmd.args)
        with self.lock:
            survey, event_id, run_id = self.survey, self.event_id, self.run_id
            if survey is None or event_id is None or run_id is None:
                raise ProtocolError("no_survey", "no survey has been started")
            if not self.open:
                raise ProtocolError("closed", "the survey is closed")
            try:
                answer = check_answer(survey, args.rating, args.choices, args.comment)
            except SurveyError as exc:
                raise ProtocolError(exc.code, exc.message) from None
            before = self.tally.answers.get(phone)
            verdict = self.tally.submit(phone, answer)
            if verdict == "unchanged":
                batch = self.writer.barrier()
            else:
                write = SurveyWrite(
                    event_id, run_id, phone, answer, call.received_ms, before is not None, before
                )
                batch = self.writer.submit(write)
                self._dirty = True
        # Acknowledged only once committed; waiting here holds no lock.
        if batch is not None and not batch.wait(ACK_TIMEOUT_S):
            raise ProtocolError("internal", "the answer could not be recorded: send it again")
        return {"verdict": verdict}

    def _lost(self, items: list[SurveyWrite]) -> None:
        """A batch could not be written: memory forgets what the database does not hold (the
        phones were told to send again)."""
        with self.lock:
            for item in reversed(items):
                if item.previous is None:
                    self.tally.answers.pop(item.phone, None)
                else:
                    self.tally.answers[item.phone] = item.previous
            self._dirty = True


__all__ = ["EVENT_SURVEY", "SurveyArgs", "SurveyDesk", "SurveyWriter"]
