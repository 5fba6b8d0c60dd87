"""Audience play-along in the live server (有奖问答): the event's audience phones, the question
put to them, results, the leaderboard, audience-only rounds and prize draws.

:class:`AudienceDesk` wires the pure rules of ``quiz.audience`` (nicknames, ``AudienceRound``,
``Ledger``, ``Draw``) to the hub: the hub calls it when a socket connects or leaves, when an
audience or host audience command arrives, around the broadcast of every change of the current
match and from its ticker. It never decides anything about the match itself.

A round opens when a choice or true/false question is shown (or when the host puts the next
question of an audience-only round) and takes answers until the audience timer runs out; it
is closed and published when the contestants' question is concluded (judged, voided, the
match ended) or, in an audience-only round, when the timer ends or the host closes it. The
answer key leaves the server only at publication, which goes in two halves: the LED and the
host before the match's new state fans out to the phones (the wall must have the result within
a second, and behind thousands of phones' writes it would not), the phones after it. Every
answer is committed before it is acknowledged (``quiz.live.audience_store.AnswerWriter``
batches the writes); live counts go to the host and the LED at most ten times a second, never
one message per answer.

Lock order: hub lock, then a match's lock, then this desk's lock; the desk never takes the
other two. Nothing waits for the database while holding the desk lock except the short
writes of rare events (a new phone, a round opening or closing, a draw).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from quiz.audience import (
    AudienceError,
    ClaimCodes,
    Draw,
    Eligibility,
    InvalidName,
    Ledger,
    Nicknames,
    Prize,
    RoundResult,
    Scoring,
    Verdict,
    export_csv,
    export_json,
)
from quiz.audience import AudienceRound as Tally
from quiz.engine import Phase
from quiz.live import rooms
from quiz.live.audience_protocol import (
    EVENT_ADMIN,
    EVENT_COUNT,
    EVENT_ROUND,
    EVENT_SCREEN,
    EVENT_YOU,
    HOST_MODELS,
    Answer,
    Nickname,
)
from quiz.live.audience_store import AnswerWrite, AnswerWriter, AudienceStore, phone_of
from quiz.live.concurrency import make_lock
from quiz.live.protocol import VERSION, Command, ProtocolError, validate_args
from quiz.live.questions import QuestionView, validate_filter

if TYPE_CHECKING:
    from quiz.live.hub import Client, LiveHub
    from quiz.live.service import MatchService

log = logging.getLogger(__name__)

NAMESPACE = "/"
CHOICE_KINDS = ("single", "multiple", "truefalse")
DEFAULT_TIMER_MS = 20_000
COUNT_EVERY_MS = 100  # live counts: at most ten a second
IDLE_MS = 1_000
ACK_TIMEOUT_S = 10.0
FASTEST = 10
#: A match's own verdict and explanation stay on the LED this long before the audience result;
#: the winner of a match that just ended, longer.
RESULT_HOLD_MS = 4_000
MATCH_END_HOLD_MS = 8_000
#: Per-phone messages at close go out in chunks, yielding in between, so the rest of the server
#: (buzzes, the LED) never waits behind thousands of them.
YOU_CHUNK = 200
#: Eligible nicknames the LED cycles through in the draw animation.
DRAW_SAMPLE = 24
REFUSALS = {
    Verdict.DUPLICATE: "this phone has already answered this question",
    Verdict.LATE: "the audience answer time is over",
    Verdict.CLOSED: "this question is closed",
    Verdict.INVALID: "not an option of this question",
}
NAME_ERRORS = {
    "empty": "name_empty",
    "too_long": "name_too_long",
    "taken": "name_taken",
    "not_text": "invalid",
}


@dataclass(frozen=True)
class Settings:
    """How the audience plays; changes apply to the rounds opened afterwards."""

    scoring: Scoring = Scoring.COUNT
    allow_change: bool = False
    timer_ms: int | None = DEFAULT_TIMER_MS

    def to_dict(self) -> dict[str, Any]:
        return {
            "scoring": self.scoring.value,
            "allow_change": self.allow_change,
            "timer_ms": self.timer_ms,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        base = cls()
        timer = data.get("timer_ms", base.timer_ms)
        return cls(
            scoring=Scoring(data.get("scoring", base.scoring.value)),
            allow_change=bool(data.get("allow_change", base.allow_change)),
            timer_ms=int(timer) if timer is not None else None,
        )


@dataclass(frozen=True)
class QuizRound:
    """An audience-only round (有奖问答 segment): questions from the bank, no contestants."""

    number: int
    filter: dict[str, Any]
    seed: str
    timer_ms: int

    @property
    def stage(self) -> str:
        return f"quiz-{self.number}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "filter": self.filter,
            "seed": self.seed,
            "timer_ms": self.timer_ms,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QuizRound:
        return cls(
            int(data["number"]), dict(data["filter"]), str(data["seed"]), int(data["timer_ms"])
        )


@dataclass
class LiveRound:
    """The question put to the audience now (or the last one, once published)."""

    row_id: int
    stage: str
    match_id: int | None
    question: QuestionView
    tally: Tally
    seq: int = 0
    mine: dict[str, tuple[str, ...]] = field(default_factory=dict)  # phone -> its answer
    expired: bool = False  # the timer ran out and the phones were told
    summary: dict[str, Any] | None = None  # the published result
    phones_told: bool = True  # published to the phones too (False between the two halves)

    @property
    def name(self) -> str:
        return self.tally.round_id

    @property
    def published(self) -> bool:
        return self.summary is not None


def public_question(q: QuestionView) -> dict[str, Any]:
    """What everyone may see of a question before it is closed: no key, no explanation, no
    bank code (it finds the question, and its key, in the public bank)."""
    return {
        "id": q.id,
        "kind": q.kind,
        "category": q.category,
        "difficulty": q.difficulty,
        "prompt": dict(q.prompt),
        "options": [dict(o) for o in q.options],
    }


class AudienceDesk:
    def __init__(self, hub: LiveHub, poke: Any) -> None:
        self.hub = hub
        self.socketio = hub.socketio
        self.store = AudienceStore(hub.sessions)
        self.writer = AnswerWriter(
            hub.sessions, hub.socketio, hub.async_mode, on_failure=self._lost
        )
        self.lock = make_lock(hub.async_mode)
        self._poke = poke
        self._reset(None)
        self.sids: dict[str, set[str]] = {}  # phone -> its connected sockets
        self.phone_by_sid: dict[str, str] = {}

    def _reset(self, event_id: int | None) -> None:
        self.event_id = event_id
        self.settings = Settings()
        self.quiz: QuizRound | None = None
        self.nicknames = Nicknames()
        self.members: dict[str, int] = {}  # phone -> member row id
        self.phones: dict[int, str] = {}  # member row id -> phone
        self.ledger = Ledger()
        self.quiz_numbers: set[int] = set()
        self.match_numbers: dict[int, int] = {}  # match id -> its number in the event
        self.round: LiveRound | None = None  # taking answers (or waiting to be published)
        self.last: LiveRound | None = None  # the last published round
        self.draws: dict[str, Draw] = {}
        self.codes = ClaimCodes()
        self.screen = "match"
        self.screen_after_ms = 0
        self.shown_draw: str | None = None
        self._count_dirty = False
        self._count_sent = 0

    # --- start-up, event switch ------------------------------------------------------------

    def start(self) -> None:
        """Background work from now on: batched answer writes, chunked per-phone messages."""
        self.writer.start()

    def stop(self) -> None:
        self.writer.stop()

    def load(self, event_id: int) -> None:
        """Rebuild the event's audience from the database (see ``audience_store``), then settle
        a round left open by a restart against the match as it was rebuilt."""
        records = self.store.load(event_id)
        with self.lock:
            self._reset(event_id)
            # Sockets are registered again by connected() (start-up, event switch, new owner).
            self.sids, self.phone_by_sid = {}, {}
            self.settings = Settings.from_dict(records.settings)
            if records.session:
                self.quiz = QuizRound.from_dict(records.session)
                self.quiz_numbers.add(self.quiz.number)
            self.nicknames = Nicknames.from_dict(
                {
                    "v": 1,
                    "phones": [
                        {
                            "phone": m.phone,
                            "handle": m.handle,
                            "approved": m.approved,
                            "pending": m.pending,
                        }
                        for m in records.members
                    ],
                }
            )
            for m in records.members:
                self.members[m.phone] = m.id
                self.phones[m.id] = m.phone
            for stored in records.rounds:
                row = stored.row
                if row.stage.startswith("quiz-"):
                    self.quiz_numbers.add(int(row.stage.split("-", 1)[1]))
                if row.status == "cancelled":
                    continue
                question = self.hub.questions.get(row.question_id)
                if question is None:
                    log.error("audience round %s: question %s is gone", row.id, row.question_id)
                    continue
                live = LiveRound(
                    row.id, row.stage, row.match_id, question, stored.replay(self.phones, FASTEST)
                )
                live.seq = max((a[3] for a in stored.answers), default=0)
                live.mine = {self.phones[a[0]]: a[1] for a in stored.answers}
                if row.status == "closed":
                    result = live.tally.result
                    assert result is not None
                    self.ledger.add(result, row.stage)
                    live.summary = row.summary or self._summary(live, result)
                    self.last = live
                else:
                    self.round = live
            # A stop between a round's closure and its verdicts being written: write them now.
            missing = self.store.rounds_without_outcomes(event_id)
            for stored in records.rounds:
                if stored.row.id in missing:
                    replayed = stored.replay(self.phones, FASTEST).result
                    if replayed is not None:
                        self.store.save_outcomes(stored.row.id, replayed, self.members)
            self.draws = {d.id: d for d in records.draws}
            self.codes = ClaimCodes(w.claim_code for d in records.draws for w in d.winners or ())
            self._settle_after_load()

    def _settle_after_load(self) -> None:
        rnd = self.round
        if rnd is None or rnd.match_id is None:
            return
        service = self.hub.current
        # Kept open only if its question is still the one being played and not yet concluded.
        still_open = (
            service is not None
            and self._same_question(service, rnd)
            and service.engine.phase not in (Phase.RESULT, Phase.FINISHED)
        )
        if not still_open:
            self._publish(rnd, self.hub.clock())

    def switch_event(self, event_id: int) -> None:
        """A new current event: the old one's open round is published, phones start afresh
        (a phone's nickname and score belong to one event)."""
        with self.lock:
            if self.round is not None:
                self._publish(self.round, self.hub.clock())
            self.writer.flush()
        self.load(event_id)
        for client in list(self.hub.clients.values()):
            self.connected(client)

    # --- connections -----------------------------------------------------------------------

    def connected(self, client: Client) -> None:
        """Everything a socket needs on (re)connect, sent to it alone."""
        if self.event_id is None:
            return
        to = client.sid
        if client.role == "audience" and client.device:
            phone = self._join(client.sid, client.device)
            with self.lock:
                self._emit(EVENT_YOU, self._you(phone), to)
        elif client.role not in ("host", "display"):
            return
        with self.lock:
            rnd = self.round or self.last
            if rnd is not None:
                self._emit(EVENT_ROUND, self._round_view(rnd), to)
            count = self._count_view()
            # A phone reads a count only to learn that a round's time is up (docs/protocol.md
            # §3): one per joining phone would be a thousand wasted messages in a join storm.
            if client.role in ("host", "display") or (count["round"] and not count["open"]):
                self._emit(EVENT_COUNT, count, to)
            if client.role in ("host", "display"):
                self._emit(EVENT_SCREEN, self._screen_view(), to)
            if client.role == "host":
                self._emit(EVENT_ADMIN, self._admin_view(), to)

    def _join(self, sid: str, device: str) -> str:
        assert self.event_id is not None
        phone = phone_of(self.event_id, device)
        with self.lock:
            if phone not in self.members:
                handle = self.nicknames.issue(phone)
                member = self.store.add_member(self.event_id, phone, handle.code)
                self.members[phone] = member
                self.phones[member] = phone
            self.sids.setdefault(phone, set()).add(sid)
            self.phone_by_sid[sid] = phone
            self._counted()
        return phone

    def disconnected(self, sid: str) -> None:
        with self.lock:
            phone = self.phone_by_sid.pop(sid, None)
            if phone is None:
                return
            sids = self.sids.get(phone)
            if sids is not None:
                sids.discard(sid)
                if not sids:
                    del self.sids[phone]
            self._counted()

    # --- the match drives match rounds ------------------------------------------------------

    def before_broadcast(self, service: MatchService) -> None:
        """Before a change of the current match is broadcast: if it concluded the question of
        the open round, close the round and send its result to the LED and the host now. The
        state fans out to thousands of phones next, and the wall's message would otherwise be
        written after all of theirs; the phones get the result in ``on_match_change``."""
        if service is not self.hub.current:
            return
        try:
            with self.lock:
                rnd = self.round
                if (
                    rnd is not None
                    and self._same_question(service, rnd)
                    and service.engine.phase in (Phase.RESULT, Phase.FINISHED)
                ):
                    self._publish_to_wall(rnd, self.hub.clock())
        except Exception:
            log.exception("audience: closing the round of match %s", service.match_id)

    def on_match_change(self, service: MatchService) -> None:
        """After every change of a match: open a round for a newly shown choice question,
        publish it once the contestants' question is concluded, drop it if undone. A failure
        here is logged and never reaches the match, which has already changed."""
        if service is not self.hub.current:
            return
        try:
            self._follow(service)
        except Exception:
            log.exception("audience: following match %s", service.match_id)

    def _follow(self, service: MatchService) -> None:
        with self.lock:
            if self.last is not None and not self.last.phones_told:
                self._publish_to_phones(self.last)
            rnd = self.round
            if rnd is not None and rnd.match_id == service.match_id:
                if not self._same_question(service, rnd):
                    self._cancel(rnd)
                elif service.engine.phase in (Phase.RESULT, Phase.FINISHED):
                    self._publish(rnd, self.hub.clock())
                    return
                else:
                    return
            play = service.engine.state.play
            if play is None or service.engine.phase in (Phase.RESULT, Phase.FINISHED):
                return
            if self.last is not None and self._same_question(service, self.last):
                return  # an undo back into a question already published: counted once
            question = self.hub.questions.get(play.spec.question_id)
            if question is None or question.kind not in CHOICE_KINDS or not question.options:
                return
            if self.round is not None:
                self._publish(self.round, self.hub.clock())
            if self.quiz is not None:
                self._end_quiz()
            timer = self.settings.timer_ms
            self._open(
                f"match-{service.match_id}", service.match_id, question, play.shown_at, timer
            )
            self._set_screen("match")

    @staticmethod
    def _same_question(service: MatchService, rnd: LiveRound) -> bool:
        play = service.engine.state.play
        return (
            rnd.match_id == service.match_id
            and play is not None
            and play.spec.question_id == rnd.question.id
            and play.shown_at == rnd.tally.opened_at_ms
        )

    # --- rounds ----------------------------------------------------------------------------

    def _open(
        self,
        stage: str,
        match_id: int | None,
        question: QuestionView,
        opened_at: int,
        duration_ms: int | None,
    ) -> LiveRound | None:
        assert self.event_id is not None
        options = [o["key"] for o in question.options]
        key = [k for k in question.answer if k in options]
        settings = self.settings
        # Checked before anything is stored; the stored row's id then names the round.
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
        row_id = self.store.open_round(self.event_id, stage, match_id, probe, question.id)
        tally = Tally(
            f"r{row_id}",
            probe.options,
            probe.key,
            opened_at,
            duration_ms,
            allow_change=probe.allow_change,
            multiple=probe.multiple,
            scoring=probe.scoring,
        )
        rnd = self.round = LiveRound(row_id, stage, match_id, question, tally)
        view = self._round_view(rnd)
        self._emit_everywhere(EVENT_ROUND, view)
        # The round says it is open; only the wall and the host show the count (from zero).
        count = self._count_view()
        for role in ("display", "host"):
            self._emit(EVENT_COUNT, count, self._room(role))
        self._emit_admin()
        self._poke()  # the ticker must see the new deadline
        return rnd

    def _publish(self, rnd: LiveRound, now: int) -> None:
        """Close ``rnd`` and show its result: LED, host, every phone (under the desk lock)."""
        self._publish_to_wall(rnd, now)
        self._publish_to_phones(rnd)

    def _publish_to_wall(self, rnd: LiveRound, now: int) -> None:
        """Close ``rnd``, record the closure, count it, and send the result to the LED and the
        host: the part the LED's one second waits for."""
        if rnd.tally.result is None:
            rnd.tally.close(now, FASTEST)
        if not self.writer.flush() and rnd.tally.result is None:
            # _lost took the unwritten answers back (it rebuilt the tally from the database,
            # still open): close what was really recorded.
            rnd.tally.close(now, FASTEST)
        result = rnd.tally.result
        assert result is not None
        summary = self._summary(rnd, result)
        self.store.close_round(rnd.row_id, now, summary)
        self.ledger.add(result, rnd.stage)
        rnd.summary = summary
        rnd.phones_told = False
        if self.round is rnd:
            self.round = None
        self.last = rnd
        view = self._round_view(rnd)
        for role in ("display", "host"):
            self._emit(EVENT_ROUND, view, self._room(role))
        self._set_screen("result", self._hold(rnd))
        count = self._count_view()
        for role in ("display", "host"):
            self._emit(EVENT_COUNT, count, self._room(role))

    def _hold(self, rnd: LiveRound) -> int:
        if rnd.match_id is None:
            return 0
        service = self.hub.current
        ended = service is not None and service.engine.phase is Phase.FINISHED
        return MATCH_END_HOLD_MS if ended else RESULT_HOLD_MS

    def _publish_to_phones(self, rnd: LiveRound) -> None:
        """The rest of publishing: every answer's verdict stored, the result to the audience
        room (the final count is not sent to the phones: the round has it), each phone its
        own verdict and rank in chunks."""
        if rnd.phones_told:
            return
        rnd.phones_told = True
        result = rnd.tally.result
        assert result is not None
        self.store.save_outcomes(rnd.row_id, result, self.members)
        self._emit(EVENT_ROUND, self._round_view(rnd), self._room("audience"))
        self._emit_admin()
        self._tell_phones()

    def _cancel(self, rnd: LiveRound) -> None:
        """The question was taken back (undo): its answers stay stored, never counted."""
        self.writer.flush()
        self.store.cancel_round(rnd.row_id)
        self.round = None
        view = self._round_view(rnd)
        view["status"] = "cancelled"
        self._emit_everywhere(EVENT_ROUND, view)
        self._emit_admin()

    def _lost(self, items: list[AnswerWrite]) -> None:
        """A batch could not be written: rebuild the open round from what was recorded, so
        memory never counts an answer the database does not hold (the phones were told)."""
        with self.lock:
            rnd = self.round
            if rnd is None or all(i.round_row != rnd.row_id for i in items):
                return
            answers = self.store.answers_of(rnd.row_id)
            tally = Tally(
                rnd.name,
                rnd.tally.options,
                rnd.tally.key,
                rnd.tally.opened_at_ms,
                rnd.tally.duration_ms,
                allow_change=rnd.tally.allow_change,
                multiple=rnd.tally.multiple,
                scoring=rnd.tally.scoring,
            )
            for member, choices, at_ms, _seq in answers:
                tally.answer(self.phones[member], choices, at_ms)
            rnd.tally = tally
            rnd.mine = {self.phones[m]: c for m, c, _a, _s in answers}
            rnd.seq = max((a[3] for a in answers), default=rnd.seq)
            self._counted()

    def _summary(self, rnd: LiveRound, result: RoundResult) -> dict[str, Any]:
        """The published figures: what the LED shows and the round's row keeps."""
        return {
            "answered": result.answered,
            "correct": result.correct,
            "share_correct": round(result.share_correct, 4),
            "distribution": dict(result.distribution),
            "key": list(result.key),
            "fastest": [{"name": self._names(p), "t_ms": t} for p, t in result.fastest],
            "explanation": dict(rnd.question.explanation),
            "scoring": result.scoring.value,
            "limit_ms": result.limit_ms,
        }

    # --- the ticker ------------------------------------------------------------------------

    def tick(self, now: int) -> int:
        """Publish an audience-only round whose time is up, tell the phones when a match
        round's timer ends, send due counts; returns ms until something is due."""
        wait = IDLE_MS
        with self.lock:
            rnd = self.round
            deadline = rnd.tally.deadline_ms if rnd is not None else None
            if rnd is not None and deadline is not None:
                if now <= deadline:
                    wait = min(wait, deadline - now + 1)
                elif rnd.match_id is None:
                    self._publish(rnd, now)
                elif not rnd.expired:
                    rnd.expired = True
                    self._emit_everywhere(EVENT_COUNT, self._count_view(now))
            if self._count_dirty:
                due = self._count_sent + COUNT_EVERY_MS
                if now >= due:
                    self._count_dirty = False
                    self._count_sent = now
                    view = self._count_view(now)
                    for room in (self._room("host"), self._room("display")):
                        self._emit(EVENT_COUNT, view, room)
                else:
                    wait = min(wait, due - now)
        return max(wait, 0)

    def _counted(self) -> None:
        if not self._count_dirty:
            self._count_dirty = True
            self._poke()

    # --- commands --------------------------------------------------------------------------

    def phone_command(self, client: Client, cmd: Command, received_ms: int) -> dict[str, Any]:
        """``answer`` (``guess`` is its older name) and ``nickname``; returns the ack extras."""
        phone = self.phone_by_sid.get(client.sid)
        if phone is None:
            if not client.device or self.event_id is None:
                raise ProtocolError("forbidden", "not an audience phone")
            phone = self._join(client.sid, client.device)
        if cmd.type in ("answer", "guess"):
            args = validate_args(Answer, cmd.args)
            return self._answer(phone, args.round, tuple(args.choices), received_ms)
        args = validate_args(Nickname, cmd.args)
        return self._request_name(phone, args.name)

    def _answer(
        self, phone: str, ref: str | None, choices: tuple[str, ...], received_ms: int
    ) -> dict[str, Any]:
        with self.lock:
            rnd = self.round
            if rnd is None or (ref is not None and ref != rnd.name):
                last = self.last
                if last is not None and (ref is None or ref == last.name):
                    raise ProtocolError("closed", REFUSALS[Verdict.CLOSED])
                raise ProtocolError("no_round", "no question is open to the audience")
            verdict = rnd.tally.answer(phone, choices, received_ms)
            if not verdict.on_record:
                raise ProtocolError(verdict.value, REFUSALS[verdict])
            picked = tuple(sorted(set(choices)))
            if verdict is Verdict.UNCHANGED:
                batch = self.writer.barrier()
            else:
                rnd.seq += 1
                rnd.mine[phone] = picked
                write = AnswerWrite(
                    rnd.row_id,
                    self.members[phone],
                    picked,
                    received_ms,
                    rnd.seq,
                    change=verdict is Verdict.CHANGED,
                )
                batch = self.writer.submit(write)
                self._counted()
        # Acknowledged only once committed; waiting here holds no lock.
        if batch is not None and not batch.wait(ACK_TIMEOUT_S):
            raise ProtocolError("internal", "the answer could not be recorded: send it again")
        return {"round": rnd.name, "verdict": verdict.value, "choices": list(picked)}

    def _request_name(self, phone: str, raw: str) -> dict[str, Any]:
        with self.lock:
            try:
                name = self.nicknames.request(phone, raw)
            except InvalidName as exc:
                raise ProtocolError(NAME_ERRORS.get(exc.code, "invalid"), exc.message) from None
            self._save_names(phone)
            pending = self._pending_name(phone)
            self._tell(phone, None)
            self._emit_admin()
        return {"nickname": name, "pending": pending is not None}

    def host_command(self, cmd: Command) -> dict[str, Any]:
        if self.event_id is None:
            raise ProtocolError("conflict", "no event")
        args = validate_args(HOST_MODELS[cmd.type], cmd.args)
        with self.lock:
            handler = getattr(self, f"_host_{cmd.type}")
            result: dict[str, Any] = handler(args)
        return result

    def _host_audience_settings(self, args: Any) -> dict[str, Any]:
        s = self.settings
        timer = s.timer_ms
        if args.no_timer:
            timer = None
        elif args.timer_ms is not None:
            timer = args.timer_ms
        self.settings = Settings(
            scoring=Scoring(args.scoring) if args.scoring else s.scoring,
            allow_change=s.allow_change if args.allow_change is None else args.allow_change,
            timer_ms=timer,
        )
        self._save_settings()
        self._emit_admin()
        return {"settings": self.settings.to_dict()}

    def _host_approve_nickname(self, args: Any) -> dict[str, Any]:
        phone = self.phones.get(args.member)
        if phone is None:
            raise ProtocolError("not_found", f"no audience phone {args.member}")
        try:
            if args.approve:
                self.nicknames.approve(phone)
            else:
                self.nicknames.reject(phone)
        except AudienceError as exc:
            raise ProtocolError("not_found", exc.message) from None
        self._save_names(phone)
        self._tell(phone, "name_approved" if args.approve else "name_rejected")
        self._emit_admin()
        self._emit_screen()  # an approved name may be on the leaderboard
        return {"nickname": self._names(phone)}

    def _host_audience_start(self, args: Any) -> dict[str, Any]:
        service = self.hub.current
        if service is not None and service.status == "live":
            raise ProtocolError("match_live", "a match is live: finish it before an audience round")
        if self.quiz is not None:
            raise ProtocolError("quiz_running", "an audience round is already running")
        try:
            question_filter = validate_filter(args.filter)
        except ValueError as exc:
            raise ProtocolError("invalid", str(exc)[:200]) from None
        kinds = [k for k in question_filter.get("kinds") or CHOICE_KINDS if k in CHOICE_KINDS]
        if not kinds:
            raise ProtocolError("invalid", "audience rounds take choice and true/false questions")
        question_filter["kinds"] = kinds
        number = max(self.quiz_numbers, default=0) + 1
        timer = args.timer_ms or self.settings.timer_ms or DEFAULT_TIMER_MS
        self.quiz = QuizRound(number, question_filter, secrets.token_hex(8), timer)
        self.quiz_numbers.add(number)
        self._save_settings()
        self._set_screen("question")
        self._emit_admin()
        return {"stage": self.quiz.stage}

    def _host_audience_next(self, args: Any) -> dict[str, Any]:
        quiz = self.quiz
        if quiz is None:
            raise ProtocolError("no_quiz", "start an audience round first")
        if self.round is not None:
            raise ProtocolError("round_open", "close the current question first")
        if args.question_id is not None:
            question = self.hub.questions.get(args.question_id)
            if question is None or question.kind not in CHOICE_KINDS:
                raise ProtocolError("not_found", "no choice or true/false question with that id")
        else:
            used = self.hub.question_codes_used(self.event_id or 0)
            question = self.hub.questions.draw(quiz.filter, quiz.seed, used)
            if question is None:
                raise ProtocolError("bank_empty", "no question left that matches the filter")
        rnd = self._open(quiz.stage, None, question, self.hub.clock(), quiz.timer_ms)
        if rnd is None:
            raise ProtocolError("invalid", "this question cannot be put to the audience")
        self._set_screen("question")
        return {"round": rnd.name, "question_id": question.id}

    def _host_audience_close(self, args: Any) -> dict[str, Any]:
        rnd = self.round
        if rnd is None:
            raise ProtocolError("no_round", "no question is open to the audience")
        if rnd.match_id is not None:
            raise ProtocolError("wrong_phase", "a match question closes when it is judged")
        self._publish(rnd, self.hub.clock())
        return {"round": rnd.name}

    def _host_audience_stop(self, args: Any) -> dict[str, Any]:
        if self.quiz is None:
            raise ProtocolError("no_quiz", "no audience round is running")
        self._end_quiz()
        self._set_screen("leaderboard")
        self._emit_admin()
        return {}

    def _end_quiz(self) -> None:
        if self.round is not None and self.round.match_id is None:
            self._publish(self.round, self.hub.clock())
        self.quiz = None
        self._save_settings()

    def _host_audience_screen(self, args: Any) -> dict[str, Any]:
        if args.screen == "draw" and self.shown_draw is None:
            raise ProtocolError("no_draw", "no draw has been prepared")
        self._set_screen(args.screen)
        self._emit_admin()
        return {"screen": self.screen}

    def _host_prepare_draw(self, args: Any) -> dict[str, Any]:
        if args.stage is not None and args.stage not in set(self.ledger.rounds.values()):
            raise ProtocolError("not_found", f"no counted audience question in {args.stage[:64]}")
        number = len(self.draws) + 1
        try:
            prize = Prize.create(f"p{number}", args.prize, args.count)
            exclude = self._winners() if args.exclude_winners else set()
            draw = Draw.prepare(
                f"d{number}",
                prize,
                self.ledger,
                Eligibility(args.min_correct, args.stage),
                at_ms=self.hub.clock(),
                exclude=exclude,
                allow_repeat=args.allow_repeat,
            )
        except InvalidName as exc:
            raise ProtocolError("invalid", f"prize name: {exc.message}") from None
        except AudienceError as exc:
            raise ProtocolError(exc.code, exc.message) from None
        self.store.save_draw(self.event_id or 0, draw)
        self.draws[draw.id] = draw
        self.shown_draw = draw.id
        self._set_screen("draw")
        self._emit_admin()
        return {"draw": draw.id, "commitment": draw.commitment, "eligible": len(draw.eligible)}

    def _host_run_draw(self, args: Any) -> dict[str, Any]:
        draw = self.draws.get(args.draw)
        if draw is None:
            raise ProtocolError("not_found", f"no draw {args.draw[:64]}")
        lang = "en" if self.hub.event.get("lang") == "en" else "zh"
        try:
            done = draw.run(
                self.codes,
                at_ms=self.hub.clock(),
                public_input=args.public_input,
                nickname=lambda phone: self.nicknames.name(phone, lang),
            )
        except AudienceError as exc:
            code = "already_drawn" if exc.code == "already_drawn" else "invalid"
            raise ProtocolError(code, exc.message) from None
        self.store.save_draw(self.event_id or 0, done)
        self.draws[done.id] = done
        self.shown_draw = done.id
        self._set_screen("draw")
        self._emit_admin()
        for phone in {w.phone for w in done.winners or ()}:
            self._tell(phone, "won")
        winners = [
            {"position": w.position, "nickname": w.nickname, "claim_code": w.claim_code}
            for w in done.winners or ()
        ]
        return {"draw": done.id, "winners": winners}

    def _host_export_draws(self, args: Any) -> dict[str, Any]:
        draws = list(self.draws.values())
        stem = f"draws-event-{self.event_id}" + ("" if args.include_codes else "-public")
        if args.format == "csv":
            content = export_csv(draws, include_codes=args.include_codes)
            return {"filename": f"{stem}.csv", "mime": "text/csv", "content": content}
        content = export_json(draws, include_codes=args.include_codes)
        return {"filename": f"{stem}.json", "mime": "application/json", "content": content}

    def _winners(self) -> set[str]:
        return {w.phone for d in self.draws.values() for w in d.winners or ()}

    # --- views -----------------------------------------------------------------------------

    def _stage_view(self, stage: str) -> dict[str, Any]:
        """A stage as pages name it: 第2场 (the match's number in the event) or 有奖问答第1轮."""
        kind, _, ident = stage.partition("-")
        number = int(ident) if ident.isdigit() else None
        if kind == "match" and number is not None:
            if number not in self.match_numbers and self.event_id is not None:
                self.match_numbers.update(self.store.match_numbers(self.event_id))
            number = self.match_numbers.get(number, number)
        return {"stage": stage, "kind": kind, "number": number}

    def _names(self, phone: str) -> dict[str, str]:
        """The name everyone sees (approved, else generated) in both languages."""
        return {"zh": self.nicknames.name(phone, "zh"), "en": self.nicknames.name(phone, "en")}

    def _pending_name(self, phone: str) -> str | None:
        own = self.nicknames.own_name(phone, "zh")
        return None if own == self.nicknames.name(phone, "zh") else own

    def _round_view(self, rnd: LiveRound) -> dict[str, Any]:
        tally = rnd.tally
        return {
            "v": VERSION,
            "round": rnd.name,
            "stage": rnd.stage,
            "match_id": rnd.match_id,
            "question": public_question(rnd.question),
            "multiple": tally.multiple,
            "allow_change": tally.allow_change,
            "scoring": tally.scoring.value,
            "opened_at": tally.opened_at_ms,
            "deadline": tally.deadline_ms,
            "status": "closed" if rnd.published else "open",
            "result": rnd.summary,
        }

    def _count_view(self, now: int | None = None) -> dict[str, Any]:
        rnd = self.round or self.last
        now = self.hub.clock() if now is None else now
        out: dict[str, Any] = {
            "v": VERSION,
            "round": None,
            "match_id": None,
            "question": None,
            "open": False,
            "count": 0,
            "tally": None,
            "deadline": None,
            "online": len(self.sids),
        }
        if rnd is not None:
            deadline = rnd.tally.deadline_ms
            result = rnd.tally.result if rnd.published else None
            out.update(
                round=rnd.name,
                match_id=rnd.match_id,
                question=rnd.question.id,
                open=rnd is self.round and (deadline is None or now <= deadline),
                count=rnd.tally.answered,
                # Options nobody chose are left out (the round's result has them all).
                tally={k: n for k, n in result.distribution.items() if n}
                if result is not None
                else None,
                deadline=deadline,
            )
        return out

    def _board(self) -> dict[str, Any]:
        return {
            "rows": [
                {
                    "rank": r.rank,
                    "name": self._names(r.phone),
                    "points": r.points,
                    "correct": r.correct,
                }
                for r in self.ledger.leaderboard()
            ],
            "phones": len(self.ledger),
            "scoring": self.settings.scoring.value,
        }

    def _draw_view(self, draw: Draw) -> dict[str, Any]:
        """A draw as the LED shows it: no phone ids, no claim codes."""
        lang = "en" if self.hub.event.get("lang") == "en" else "zh"
        pool = list(draw.eligible)
        # Only for the animation; the winners come from the draw's committed seed.
        sample = secrets.SystemRandom().sample(pool, min(DRAW_SAMPLE, len(pool)))
        return {
            "id": draw.id,
            "prize": draw.prize.name,
            "count": draw.prize.count,
            "eligibility": {
                "min_correct": draw.rule.min_correct,
                "stage": None if draw.rule.stage is None else self._stage_view(draw.rule.stage),
            },
            "eligible_count": len(draw.eligible),
            "eligible_digest": draw.eligible_digest,
            "commitment": draw.commitment,
            "public_input": draw.public_input,
            "drawn": draw.drawn,
            "winners": [w.nickname for w in draw.winners] if draw.winners is not None else None,
            "sample": [self.nicknames.name(p, lang) for p in sample],
        }

    def _screen_view(self) -> dict[str, Any]:
        draw = self.draws.get(self.shown_draw or "")
        return {
            "v": VERSION,
            "screen": self.screen,
            "show_after_ms": self.screen_after_ms,
            "leaderboard": self._board(),
            "draw": self._draw_view(draw) if draw is not None else None,
            "quiz": self._quiz_view(),
        }

    def _quiz_view(self) -> dict[str, Any] | None:
        if self.quiz is None:
            return None
        asked = sum(1 for s in self.ledger.rounds.values() if s == self.quiz.stage)
        return {"stage": self.quiz.stage, "number": self.quiz.number, "asked": asked}

    def _you(self, phone: str, notice: str | None = None) -> dict[str, Any]:
        row = self.ledger.rank_of(phone)
        score = self.ledger.score(phone)
        answer = outcome = None
        rnd = self.round
        if rnd is not None and phone in rnd.mine:
            answer = {"round": rnd.name, "choices": list(rnd.mine[phone])}
        last = self.last
        result = last.tally.result if last is not None else None
        if last is not None and result is not None and phone in result.outcomes:
            o = result.outcomes[phone]
            outcome = {
                "round": last.name,
                "choices": list(o.choices),
                "correct": o.correct,
                "points": o.points,
            }
        return {
            "v": VERSION,
            "nickname": {
                "zh": self.nicknames.own_name(phone, "zh"),
                "en": self.nicknames.own_name(phone, "en"),
            },
            "shown": self._names(phone),
            "pending": self._pending_name(phone),
            "score": None
            if row is None or score is None
            else {
                "points": row.points,
                "correct": row.correct,
                "answered": score.answered,
                "rank": row.rank,
                "of": len(self.ledger),
            },
            "answer": answer,
            "outcome": outcome,
            "prizes": [
                {"draw": d.id, "prize": d.prize.name, "code": code}
                for d in self.draws.values()
                for code in d.codes_for(phone)
            ],
            "notice": notice,
        }

    def _admin_view(self) -> dict[str, Any]:
        rnd = self.round
        stages = list(dict.fromkeys(self.ledger.rounds.values()))
        return {
            "v": VERSION,
            "settings": self.settings.to_dict(),
            "pending": [
                {"member": self.members[phone], "requested": name, "current": self._names(phone)}
                for phone, name in self.nicknames.pending()
            ],
            "stages": [self._stage_view(s) for s in stages],
            "round": None
            if rnd is None
            else {**self._round_view(rnd), "key": sorted(rnd.tally.key)},
            "quiz": self._quiz_view(),
            "draws": [d.public_dict(include_codes=True) for d in self.draws.values()],
            "screen": self.screen,
            "members": len(self.members),
            "online": len(self.sids),
            "scored": len(self.ledger),
        }

    # --- sending ---------------------------------------------------------------------------

    def _room(self, role: str) -> str:
        event_id = self.event_id or 0
        if role == "host":
            return rooms.room_host(event_id)
        if role == "display":
            return rooms.room_display(event_id)
        return rooms.room_audience(event_id)

    def _emit(self, event: str, payload: dict[str, Any], to: str) -> None:
        self.socketio.emit(event, payload, to=to, namespace=NAMESPACE)

    def _emit_everywhere(self, event: str, payload: dict[str, Any]) -> None:
        for role in ("host", "display", "audience"):
            self._emit(event, payload, self._room(role))

    def _emit_admin(self) -> None:
        self._emit(EVENT_ADMIN, self._admin_view(), self._room("host"))

    def _emit_screen(self) -> None:
        view = self._screen_view()
        for role in ("host", "display"):
            self._emit(EVENT_SCREEN, view, self._room(role))

    def _set_screen(self, screen: str, show_after_ms: int = 0) -> None:
        self.screen, self.screen_after_ms = screen, show_after_ms
        self._emit_screen()

    def _tell(self, phone: str, notice: str | None) -> None:
        payload = self._you(phone, notice)
        for sid in self.sids.get(phone, ()):
            self._emit(EVENT_YOU, payload, sid)

    def _tell_phones(self) -> None:
        """Each connected phone that has a score its own verdict and rank, in chunks."""
        # Every scored phone: its rank may have moved even if it did not answer this one.
        targets = [p for p in self.ledger.phones() if p in self.sids]

        def send() -> None:
            for start in range(0, len(targets), YOU_CHUNK):
                with self.lock:
                    batch = [
                        (sid, self._you(phone))
                        for phone in targets[start : start + YOU_CHUNK]
                        for sid in self.sids.get(phone, ())
                    ]
                for sid, payload in batch:
                    self._emit(EVENT_YOU, payload, sid)
                self.socketio.sleep(0)

        if self.writer.running:
            self.socketio.start_background_task(send)
        else:
            send()

    # --- persistence helpers ---------------------------------------------------------------

    def _save_names(self, phone: str) -> None:
        shown = self.nicknames.name(phone, "zh")
        generated = self.nicknames.issue(phone).render("zh")
        approved = shown if shown != generated else None
        self.store.save_names(self.members[phone], approved, self._pending_name(phone))

    def _save_settings(self) -> None:
        assert self.event_id is not None
        quiz = self.quiz.to_dict() if self.quiz is not None else None
        self.store.save_settings(self.event_id, self.settings.to_dict(), quiz)

    def question_ids(self) -> list[str]:
        """Question versions put to this event's audience (for drawing fresh ones)."""
        if self.event_id is None:
            return []
        return self.store.question_ids(self.event_id)


__all__ = ["AudienceDesk", "LiveRound", "QuizRound", "Settings", "public_question"]
