"""The life of a question put to the audience: opened when a match shows a choice question
(or the host puts the next question of an audience-only quiz), answered, closed and published
in two halves, or cancelled by an undo; and its rebuild after a restart.

A match question's audience timer starts when the host opens buzzing (after the
pre-countdown), not when the question is shown: the host's reading never eats into it, so it
cannot run out before buzzing has finished (docs/audience.md, "The audience timer"). A match
question's result reaches the LED's screen only when the host shows it: the wall never leaves
a match's verdict or its winner by itself (an audience-only question's result does follow).

The answer key leaves the server only at publication, which goes in two halves: the LED and
the host before the match's new state fans out to the phones (the wall must have the result
within a second, and behind thousands of phones' writes it would not), the phones after it.
Every answer is committed before it is acknowledged (``AnswerWriter`` batches the writes);
live counts go to the host and the LED at most ten times a second, never one per answer.

Every method runs under the desk's lock (``quiz.live.audience``) but :meth:`answer` and
:meth:`lost`, which take it themselves (an answer waits for its write without it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from quiz.audience import AudienceError, Tally, Verdict
from quiz.engine import Phase
from quiz.live.audience_outbox import WALL, AudienceOutbox
from quiz.live.audience_protocol import EVENT_COUNT, EVENT_ROUND
from quiz.live.audience_state import EventAudience, LiveQuestion
from quiz.live.audience_store import AnswerWrite, AnswerWriter, AudienceStore, EventRecords
from quiz.live.audience_views import count_view, question_view, summary
from quiz.live.concurrency import Lock
from quiz.live.protocol import ProtocolError
from quiz.live.questions import QuestionView

if TYPE_CHECKING:
    from quiz.live.service import MatchService

log = logging.getLogger(__name__)

CHOICE_KINDS = ("single", "multiple", "truefalse")
COUNT_EVERY_MS = 100  # live counts: at most ten a second
IDLE_MS = 1_000
ACK_TIMEOUT_S = 10.0
FASTEST = 10
REFUSALS = {
    Verdict.DUPLICATE: "this phone has already answered this question",
    Verdict.LATE: "the audience answer time is over",
    Verdict.CLOSED: "this question is closed",
    Verdict.INVALID: "not an option of this question",
}


def same_question(service: MatchService, live: LiveQuestion) -> bool:
    """Whether ``live`` is the question the match is playing now (same showing, not just the
    same question id: an undo and a new show make a new question for the audience)."""
    play = service.engine.state.play
    return (
        live.match_id == service.match_id
        and play is not None
        and play.spec.question_id == live.question.id
        and play.shown_at == live.tally.opened_at_ms
    )


def concluded(service: MatchService) -> bool:
    return service.engine.phase in (Phase.RESULT, Phase.FINISHED)


class QuestionFlow:
    """Opens, counts, publishes and cancels the audience's questions (module docstring)."""

    def __init__(
        self,
        audience: EventAudience,
        store: AudienceStore,
        writer: AnswerWriter,
        outbox: AudienceOutbox,
        lock: Lock,
        *,
        clock: Callable[[], int],
        poke: Callable[[], Any],
        current_match: Callable[[], MatchService | None],
    ) -> None:
        self.audience = audience
        self.store = store
        self.writer = writer
        self.outbox = outbox
        self.lock = lock
        self.clock = clock
        self._poke = poke
        self._current_match = current_match
        self._count_dirty = False
        self._count_sent = 0

    # --- restart -----------------------------------------------------------------------------

    def restore(self, records: EventRecords, questions: Any) -> None:
        """Rebuild the stored questions of the event: the published ones are counted again,
        an open one is taken up where it was."""
        audience = self.audience
        self._count_dirty, self._count_sent = False, 0
        for stored in records.questions:
            row = stored.row
            if row.stage.startswith("quiz-"):
                audience.quiz_numbers.add(int(row.stage.split("-", 1)[1]))
            if row.status == "cancelled":
                continue
            question = questions.get(row.question_id)
            if question is None:
                log.error("audience round %s: question %s is gone", row.id, row.question_id)
                continue
            live = LiveQuestion(
                row.id, row.stage, row.match_id, question, stored.replay(audience.phones, FASTEST)
            )
            live.seq = max((a[3] for a in stored.answers), default=0)
            live.mine = {audience.phones[a[0]]: a[1] for a in stored.answers}
            if row.status == "closed":
                result = live.tally.result
                assert result is not None
                audience.ledger.add(result, row.stage)
                live.summary = row.summary or summary(live.question, result, audience.nicknames)
                audience.last = live
            else:
                audience.current = live
        # A stop between a question's closure and its verdicts being written: write them now.
        missing = self.store.rounds_without_outcomes(audience.event_id or 0)
        for stored in records.questions:
            if stored.row.id in missing:
                replayed = stored.replay(audience.phones, FASTEST).result
                if replayed is not None:
                    self.store.save_outcomes(stored.row.id, replayed, audience.members)

    def settle_after_load(self) -> None:
        """A match question left open by a restart stays open only if its question is still
        the one being played and not yet concluded; else it is published now."""
        live = self.audience.current
        if live is None or live.match_id is None:
            return
        service = self._current_match()
        if service is None or not same_question(service, live) or concluded(service):
            self.publish(live, self.clock())
        elif live.tally.duration_ms is None:
            # Stopped before buzzing opened: its timer is still to start, as now set.
            live.timer_ms = self.audience.settings.timer_ms
            self.start_timer(service, live)

    # --- the match drives match questions ----------------------------------------------------

    def follow(self, service: MatchService, questions: Any) -> None:
        """After a change of the current match: open a question for a newly shown choice
        question, publish it once the contestants' question is concluded, drop it if undone."""
        audience = self.audience
        if audience.last is not None and not audience.last.phones_told:
            self.publish_to_phones(audience.last)
        live = audience.current
        if live is not None and live.match_id == service.match_id:
            if not same_question(service, live):
                self.cancel(live)
            elif concluded(service):
                self.publish(live, self.clock())
                return
            else:
                self.start_timer(service, live)
                return
        play = service.engine.state.play
        if play is None or concluded(service):
            return
        if audience.screen == "result" and not (
            audience.last is not None and same_question(service, audience.last)
        ):
            # A new question on the wall: an earlier audience result never stays over it.
            self.outbox.set_screen("match")
        if audience.last is not None and same_question(service, audience.last):
            return  # an undo back into a question already published: counted once
        question = questions.get(play.spec.question_id)
        if question is None or question.kind not in CHOICE_KINDS or not question.options:
            return
        if audience.current is not None:
            self.publish(audience.current, self.clock())
        if audience.quiz is not None:
            self.end_quiz()
        live = self.open(
            f"match-{service.match_id}", service.match_id, question, play.shown_at, None
        )
        if live is not None:
            live.timer_ms = audience.settings.timer_ms
            self.start_timer(service, live)
        self.outbox.set_screen("match")

    def start_timer(self, service: MatchService, live: LiveQuestion) -> None:
        """Start a match question's audience timer once the host has opened buzzing: it runs
        ``timer_ms`` from the opening (the question was open to answers since it was shown)."""
        play = service.engine.state.play
        if live.timer_ms is None or live.tally.duration_ms is not None or play is None:
            return
        if play.opens_at is None:
            return  # still being read
        duration = max(play.opens_at - live.tally.opened_at_ms, 0) + live.timer_ms
        live.tally.start_timer(duration)
        self.store.set_duration(live.row_id, duration)
        self.outbox.everywhere(EVENT_ROUND, question_view(live))
        self._poke()  # the ticker must see the new deadline

    def end_quiz(self) -> None:
        """End the audience-only quiz; its open question is published first."""
        audience = self.audience
        if audience.current is not None and audience.current.match_id is None:
            self.publish(audience.current, self.clock())
        audience.quiz = None
        self.save_settings()

    def save_settings(self) -> None:
        audience = self.audience
        assert audience.event_id is not None
        quiz = audience.quiz.to_dict() if audience.quiz is not None else None
        self.store.save_settings(audience.event_id, audience.settings.to_dict(), quiz)

    # --- a question's life -------------------------------------------------------------------

    def open(
        self,
        stage: str,
        match_id: int | None,
        question: QuestionView,
        opened_at: int,
        duration_ms: int | None,
    ) -> LiveQuestion | None:
        audience = self.audience
        assert audience.event_id is not None
        options = [o["key"] for o in question.options]
        key = [k for k in question.answer if k in options]
        settings = audience.settings
        # Checked before anything is stored; the stored row's id then names the question.
        try:
            probe = Tally(
                "r0",
                options,
                key,
                opened_at,
                duration_ms,
                allow_change=settings.allow_change,
                multiple=question.kind == "multiple" or len(key) > 1,
                scoring=settings.scoring,
            )
        except AudienceError as exc:
            log.error("question %s cannot be put to the audience: %s", question.id, exc.message)
            return None
        row_id = self.store.open_round(audience.event_id, stage, match_id, probe, question.id)
        live = audience.current = LiveQuestion(
            row_id, stage, match_id, question, _renamed(probe, f"r{row_id}")
        )
        self.outbox.everywhere(EVENT_ROUND, question_view(live))
        # The question says it is open; only the wall and the host show the count (from zero).
        self.outbox.to_rooms(EVENT_COUNT, count_view(audience, self.clock()), WALL)
        self.outbox.admin()
        self._poke()  # the ticker must see the new deadline
        return live

    def publish(self, live: LiveQuestion, now: int) -> None:
        """Close ``live`` and show its result: LED, host, every phone."""
        self.publish_to_wall(live, now)
        self.publish_to_phones(live)

    def publish_to_wall(self, live: LiveQuestion, now: int) -> None:
        """Close ``live``, record the closure, count it, and send the result to the LED and
        the host: the part the LED's one second waits for."""
        audience = self.audience
        if live.tally.result is None:
            live.tally.close(now, FASTEST)
        if not self.writer.flush() and live.tally.result is None:
            # lost() took the unwritten answers back (it rebuilt the tally from the database,
            # still open): close what was really recorded.
            live.tally.close(now, FASTEST)
        result = live.tally.result
        assert result is not None
        shown = summary(live.question, result, audience.nicknames)
        self.store.close_round(live.row_id, now, shown)
        audience.ledger.add(result, live.stage)
        live.summary = shown
        live.phones_told = False
        if audience.current is live:
            audience.current = None
        audience.last = live
        self.outbox.to_rooms(EVENT_ROUND, question_view(live), WALL)
        if live.match_id is None:
            self.outbox.set_screen("result")
        self.outbox.to_rooms(EVENT_COUNT, count_view(audience, self.clock()), WALL)

    def publish_to_phones(self, live: LiveQuestion) -> None:
        """The rest of publishing: every answer's verdict stored, the result to the audience
        room (the final count is not sent to the phones: the question has it), each phone its
        own verdict and rank in chunks."""
        if live.phones_told:
            return
        live.phones_told = True
        result = live.tally.result
        assert result is not None
        self.store.save_outcomes(live.row_id, result, self.audience.members)
        self.outbox.emit(EVENT_ROUND, question_view(live), self.outbox.room("audience"))
        self.outbox.admin()
        self.outbox.tell_phones()

    def cancel(self, live: LiveQuestion) -> None:
        """The question was taken back (undo): its answers stay stored, never counted."""
        self.writer.flush()
        self.store.cancel_round(live.row_id)
        self.audience.current = None
        view = question_view(live)
        view["status"] = "cancelled"
        self.outbox.everywhere(EVENT_ROUND, view)
        self.outbox.admin()

    def lost(self, items: list[AnswerWrite]) -> None:
        """A batch could not be written: rebuild the open question from what was recorded, so
        memory never counts an answer the database does not hold (the phones were told).
        Called by the writer, without the desk's lock."""
        audience = self.audience
        with self.lock:
            live = audience.current
            if live is None or all(i.round_row != live.row_id for i in items):
                return
            answers = self.store.answers_of(live.row_id)
            tally = _renamed(live.tally, live.name)
            for member, choices, at_ms, _seq in answers:
                tally.answer(audience.phones[member], choices, at_ms)
            live.tally = tally
            live.mine = {audience.phones[m]: c for m, c, _a, _s in answers}
            live.seq = max((a[3] for a in answers), default=live.seq)
            self.counted()

    # --- answers, counts and the timer -------------------------------------------------------

    def answer(
        self, phone: str, ref: str | None, choices: tuple[str, ...], received_ms: int
    ) -> dict[str, Any]:
        """Take a phone's answer (called without the lock); acknowledged only once it is
        committed."""
        audience = self.audience
        with self.lock:
            live = audience.current
            if live is None or (ref is not None and ref != live.name):
                last = audience.last
                if last is not None and (ref is None or ref == last.name):
                    raise ProtocolError("closed", REFUSALS[Verdict.CLOSED])
                raise ProtocolError("no_round", "no question is open to the audience")
            verdict = live.tally.answer(phone, choices, received_ms)
            if not verdict.on_record:
                raise ProtocolError(verdict.value, REFUSALS[verdict])
            picked = tuple(sorted(set(choices)))
            if verdict is Verdict.UNCHANGED:
                batch = self.writer.barrier()
            else:
                live.seq += 1
                live.mine[phone] = picked
                write = AnswerWrite(
                    live.row_id,
                    audience.members[phone],
                    picked,
                    received_ms,
                    live.seq,
                    change=verdict is Verdict.CHANGED,
                )
                batch = self.writer.submit(write)
                self.counted()
        # Acknowledged only once committed; waiting here holds no lock.
        if batch is not None and not batch.wait(ACK_TIMEOUT_S):
            raise ProtocolError("internal", "the answer could not be recorded: send it again")
        return {"round": live.name, "verdict": verdict.value, "choices": list(picked)}

    def counted(self) -> None:
        """The count changed: the ticker sends it at most every ``COUNT_EVERY_MS``."""
        if not self._count_dirty:
            self._count_dirty = True
            self._poke()

    def tick(self, now: int) -> int:
        """Publish an audience-only question whose time is up, tell the phones when a match
        question's timer ends, send due counts; returns ms until something is due."""
        audience = self.audience
        wait = IDLE_MS
        live = audience.current
        deadline = live.tally.deadline_ms if live is not None else None
        if live is not None and deadline is not None:
            if now <= deadline:
                wait = min(wait, deadline - now + 1)
            elif live.match_id is None:
                self.publish(live, now)
            elif not live.expired:
                live.expired = True
                self.outbox.everywhere(EVENT_COUNT, count_view(audience, now))
        if self._count_dirty:
            due = self._count_sent + COUNT_EVERY_MS
            if now >= due:
                self._count_dirty = False
                self._count_sent = now
                self.outbox.to_rooms(EVENT_COUNT, count_view(audience, now), ("host", "display"))
            else:
                wait = min(wait, due - now)
        return max(wait, 0)


def _renamed(tally: Tally, name: str) -> Tally:
    """A fresh, empty tally with ``tally``'s question and rules under another name."""
    return Tally(
        name,
        tally.options,
        tally.key,
        tally.opened_at_ms,
        tally.duration_ms,
        allow_change=tally.allow_change,
        multiple=tally.multiple,
        scoring=tally.scoring,
    )
