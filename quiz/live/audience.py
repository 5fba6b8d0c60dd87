"""Audience play-along in the live server (有奖问答): the event's audience phones, the question
put to them, results, the leaderboard, audience-only quizzes and prize draws.

:class:`AudienceDesk` wires the pure rules of ``quiz.audience`` (nicknames, ``Tally``,
``Ledger``, ``Draw``) to the server, in pieces with one concern each:

- ``audience_state``: the event's audience as plain data, shared by the pieces;
- ``audience_views``: the payloads (pure builders);
- ``audience_outbox``: which room or socket each payload goes to;
- ``audience_questions``: a question's life, from opening to publication, and the ticker;
- ``audience_draws``: prize draws;
- ``audience_phones``: which phone a socket is, joining phones, what a socket gets on connect;
- this module: loading and switching events, following the current match, and one public
  handler per audience command (routed by ``quiz.live.routes.ROUTES``).

The desk is given the match registry (``matches``: ``.current``, ``.event``,
``.question_codes_used(event_id)``) and the connected clients, never the server's router: the
router calls it (its ``phones``) when a socket connects or leaves, when an audience command
arrives, around the broadcast of every change of the current match and from its ticker. It
never decides anything about the match itself. Vocabulary: ``docs/glossary.md``.

Lock order: the router's lock, then a match's lock, then this desk's lock; the desk never
takes the other two. Nothing waits for the database while holding the desk lock except the
short writes of rare events (a new phone, a question opening or closing, a draw).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import fields
from typing import TYPE_CHECKING, Any, Protocol

from quiz.audience import AudienceError, ClaimCodes, InvalidName, Nicknames, Scoring
from quiz.live.audience_draws import PrizeDraws
from quiz.live.audience_outbox import AudienceOutbox
from quiz.live.audience_phones import AudiencePhones
from quiz.live.audience_presence import PresenceLog
from quiz.live.audience_protocol import (
    Answer,
    ApproveNickname,
    AudienceSettingsArgs,
    ExcludeAddress,
    ExportDraws,
    NextQuestion,
    Nickname,
    PrepareDraw,
    RunDraw,
    Screen,
    StartQuiz,
)
from quiz.live.audience_questions import CHOICE_KINDS, QuestionFlow, concluded, same_question
from quiz.live.audience_state import (
    DEFAULT_TIMER_MS,
    AudienceQuiz,
    EventAudience,
    Settings,
)
from quiz.live.audience_store import AnswerWriter, AudienceStore
from quiz.live.audience_views import names, pending_name
from quiz.live.concurrency import make_lock
from quiz.live.protocol import NoArgs, ProtocolError
from quiz.live.questions import validate_filter

if TYPE_CHECKING:
    from quiz.live.connections import Client
    from quiz.live.service import MatchService

log = logging.getLogger(__name__)

NAME_ERRORS = {
    "empty": "name_empty",
    "too_long": "name_too_long",
    "taken": "name_taken",
    "not_text": "invalid",
}


class Matches(Protocol):
    """What the desk needs of the match registry."""

    @property
    def current(self) -> MatchService | None: ...

    @property
    def event(self) -> dict[str, Any]: ...

    def question_codes_used(self, event_id: int) -> set[str]: ...


class AudienceDesk:
    """The audience of the current event (see the module docstring)."""

    def __init__(
        self,
        matches: Matches,
        clients: Callable[[], Iterable[Client]],
        *,
        sessions: Any,
        socketio: Any,
        async_mode: str,
        clock: Callable[[], int],
        questions: Any,
        poke: Callable[[], Any],
        draw_entries_per_address: int = 2,
    ) -> None:
        self.matches = matches
        self._clients = clients
        self.clock = clock
        self.questions = questions
        self.store = AudienceStore(sessions)
        self.lock = make_lock(async_mode)
        self.audience = EventAudience()
        self.presence = PresenceLog()
        self.writer = AnswerWriter(
            sessions,
            socketio,
            async_mode,
            on_failure=lambda items: self.flow.lost(items),
            side_writes=lambda: self.presence.flush(sessions),
        )
        self.outbox = AudienceOutbox(
            self.audience, socketio, self.store, self.writer, self.lock, self._lang
        )
        self.flow = QuestionFlow(
            self.audience,
            self.store,
            self.writer,
            self.outbox,
            self.lock,
            clock=clock,
            poke=poke,
            current_match=lambda: self.matches.current,
        )
        self.prizes = PrizeDraws(
            self.audience, self.store, clock, self._lang, draw_entries_per_address
        )
        self.outbox.clusters = self.prizes.clusters
        #: Sockets to phones: the router calls ``phones.connected`` / ``phones.disconnected``.
        self.phones = AudiencePhones(
            self.audience, self.store, self.outbox, self.flow, self.presence, self.lock, clock
        )

    def _lang(self) -> str:
        return "en" if self.matches.event.get("lang") == "en" else "zh"

    # --- start-up, event switch ------------------------------------------------------------

    def start(self) -> None:
        """Background work from now on: batched answer writes, chunked per-phone messages."""
        self.writer.start()

    def stop(self) -> None:
        self.writer.stop()

    def load(self, event_id: int) -> None:
        """Rebuild the event's audience from the database (see ``audience_store``), then settle
        a question left open by a restart against the match as it was rebuilt."""
        records = self.store.load(event_id)
        with self.lock:
            audience = self.audience
            # Sockets are registered again by connected() (start-up, event switch, new owner).
            fresh = EventAudience(event_id)
            for f in fields(audience):
                setattr(audience, f.name, getattr(fresh, f.name))
            audience.settings = Settings.from_dict(records.settings)
            if records.session:
                audience.quiz = AudienceQuiz.from_dict(records.session)
                audience.quiz_numbers.add(audience.quiz.number)
            audience.nicknames = Nicknames.from_dict(
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
                audience.members[m.phone] = m.id
                audience.phones[m.id] = m.phone
            self.flow.restore(records, self.questions)
            audience.draws.update((d.id, d) for d in records.draws)
            audience.codes = ClaimCodes(
                w.claim_code for d in records.draws for w in d.winners or ()
            )
            self.flow.settle_after_load()

    def switch_event(self, event_id: int) -> None:
        """A new current event: the old one's open question is published, phones start afresh
        (a phone's nickname and score belong to one event)."""
        with self.lock:
            if self.audience.current is not None:
                self.flow.publish(self.audience.current, self.clock())
            now = self.clock()
            for phone in self.audience.sids:  # the old event's phones leave it
                self.presence.offline(self.audience.members[phone], now)
            self.writer.flush()
        self.load(event_id)
        for client in list(self._clients()):
            self.phones.connected(client)

    # --- the match drives match questions ----------------------------------------------------

    def before_broadcast(self, service: MatchService) -> None:
        """Before a change of the current match is broadcast: if it concluded the question put
        to the audience, close it and send its result to the LED and the host now. The state
        fans out to thousands of phones next, and the wall's message would otherwise be
        written after all of theirs; the phones get the result in ``on_match_change``."""
        if service is not self.matches.current:
            return
        try:
            with self.lock:
                live = self.audience.current
                if live is not None and same_question(service, live) and concluded(service):
                    self.flow.publish_to_wall(live, self.clock())
        except Exception:
            log.exception("audience: closing the question of match %s", service.match_id)

    def on_match_change(self, service: MatchService) -> None:
        """After every change of a match: see ``QuestionFlow.follow``. A failure here is
        logged and never reaches the match, which has already changed."""
        if service is not self.matches.current:
            return
        try:
            with self.lock:
                self.flow.follow(service, self.questions)
        except Exception:
            log.exception("audience: following match %s", service.match_id)

    def tick(self, now: int) -> int:
        """The ticker's turn: see ``QuestionFlow.tick``; returns ms until something is due."""
        with self.lock:
            return self.flow.tick(now)

    # --- phone commands ------------------------------------------------------------------------

    def answer(self, client: Client, args: Answer, received_ms: int) -> dict[str, Any]:
        """A phone answers the question put to the audience (``round``: the one it saw)."""
        phone = self.phones.phone(client)
        return self.flow.answer(phone, args.round, tuple(args.choices), received_ms)

    def nickname(self, client: Client, args: Nickname, received_ms: int) -> dict[str, Any]:
        """A phone asks for a nickname; shown once the host approves it."""
        phone = self.phones.phone(client)
        audience = self.audience
        with self.lock:
            try:
                name = audience.nicknames.request(phone, args.name)
            except InvalidName as exc:
                raise ProtocolError(NAME_ERRORS.get(exc.code, "invalid"), exc.message) from None
            self._save_names(phone)
            pending = pending_name(audience.nicknames, phone)
            self.outbox.tell(phone, None)
            self.outbox.admin()
        return {"nickname": name, "pending": pending is not None}

    def _save_names(self, phone: str) -> None:
        nicknames = self.audience.nicknames
        shown = nicknames.name(phone, "zh")
        generated = nicknames.issue(phone).render("zh")
        approved = shown if shown != generated else None
        pending = pending_name(nicknames, phone)
        self.store.save_names(self.audience.members[phone], approved, pending)

    # --- host commands -------------------------------------------------------------------------

    @contextmanager
    def _hosting(self) -> Iterator[EventAudience]:
        """A host command's turn: an event must be current; the desk's lock is held."""
        if self.audience.event_id is None:
            raise ProtocolError("conflict", "no event")
        with self.lock:
            yield self.audience

    def audience_settings(self, args: AudienceSettingsArgs) -> dict[str, Any]:
        """Scoring, answer changes and the timer for the questions put from now on."""
        with self._hosting() as audience:
            s = audience.settings
            timer = s.timer_ms
            if args.no_timer:
                timer = None
            elif args.timer_ms is not None:
                timer = args.timer_ms
            audience.settings = Settings(
                scoring=Scoring(args.scoring) if args.scoring else s.scoring,
                allow_change=s.allow_change if args.allow_change is None else args.allow_change,
                timer_ms=timer,
            )
            self.flow.save_settings()
            self.outbox.admin()
            return {"settings": audience.settings.to_dict()}

    def approve_nickname(self, args: ApproveNickname) -> dict[str, Any]:
        """Approve or reject the nickname a phone asked for."""
        with self._hosting() as audience:
            phone = audience.phones.get(args.member)
            if phone is None:
                raise ProtocolError("not_found", f"no audience phone {args.member}")
            if args.approve and args.name is None:
                raise ProtocolError("invalid", "an approval names the text it approves")
            try:
                if args.approve:
                    audience.nicknames.approve(phone, args.name or "")
                else:
                    audience.nicknames.reject(phone)
            except AudienceError as exc:
                code = "name_changed" if exc.code == "name_changed" else "not_found"
                raise ProtocolError(code, exc.message) from None
            self._save_names(phone)
            self.outbox.tell(phone, "name_approved" if args.approve else "name_rejected")
            self.outbox.admin()
            self.outbox.screen()  # an approved name may be on the leaderboard
            return {"nickname": names(audience.nicknames, phone)}

    def audience_start(self, args: StartQuiz) -> dict[str, Any]:
        """Start an audience-only quiz (有奖问答) on questions matching the filter."""
        with self._hosting() as audience:
            service = self.matches.current
            if service is not None and service.status == "live":
                raise ProtocolError(
                    "match_live", "a match is live: finish it before an audience round"
                )
            if audience.quiz is not None:
                raise ProtocolError("quiz_running", "an audience round is already running")
            try:
                question_filter = validate_filter(args.filter)
            except ValueError as exc:
                raise ProtocolError("invalid", str(exc)[:200]) from None
            kinds = [k for k in question_filter.get("kinds") or CHOICE_KINDS if k in CHOICE_KINDS]
            if not kinds:
                raise ProtocolError(
                    "invalid", "audience rounds take choice and true/false questions"
                )
            question_filter["kinds"] = kinds
            number = max(audience.quiz_numbers, default=0) + 1
            timer = args.timer_ms or audience.settings.timer_ms or DEFAULT_TIMER_MS
            audience.quiz = AudienceQuiz(number, question_filter, secrets.token_hex(8), timer)
            audience.quiz_numbers.add(number)
            self.flow.save_settings()
            self.outbox.set_screen("question")
            self.outbox.admin()
            return {"stage": audience.quiz.stage}

    def audience_next(self, args: NextQuestion) -> dict[str, Any]:
        """Put the next question of the audience-only quiz (drawn, or the one named)."""
        with self._hosting() as audience:
            quiz = audience.quiz
            if quiz is None:
                raise ProtocolError("no_quiz", "start an audience round first")
            if audience.current is not None:
                raise ProtocolError("round_open", "close the current question first")
            if args.question_id is not None:
                question = self.questions.get(args.question_id)
                if question is None or question.kind not in CHOICE_KINDS:
                    raise ProtocolError(
                        "not_found", "no choice or true/false question with that id"
                    )
            else:
                used = self.matches.question_codes_used(audience.event_id or 0)
                question = self.questions.draw(quiz.filter, quiz.seed, used)
                if question is None:
                    raise ProtocolError("bank_empty", "no question left that matches the filter")
            live = self.flow.open(quiz.stage, None, question, self.clock(), quiz.timer_ms)
            if live is None:
                raise ProtocolError("invalid", "this question cannot be put to the audience")
            self.outbox.set_screen("question")
            return {"round": live.name, "question_id": question.id}

    def audience_close(self, args: NoArgs) -> dict[str, Any]:
        """Close the open question of the audience-only quiz before its timer ends."""
        with self._hosting() as audience:
            live = audience.current
            if live is None:
                raise ProtocolError("no_round", "no question is open to the audience")
            if live.match_id is not None:
                raise ProtocolError("wrong_phase", "a match question closes when it is judged")
            self.flow.publish(live, self.clock())
            return {"round": live.name}

    def audience_stop(self, args: NoArgs) -> dict[str, Any]:
        """End the audience-only quiz and show the leaderboard."""
        with self._hosting() as audience:
            if audience.quiz is None:
                raise ProtocolError("no_quiz", "no audience round is running")
            self.flow.end_quiz()
            self.outbox.set_screen("leaderboard")
            self.outbox.admin()
            return {}

    def audience_screen(self, args: Screen) -> dict[str, Any]:
        """What the LED shows between questions: match, question, result, leaderboard, draw."""
        with self._hosting() as audience:
            if args.screen == "draw" and audience.shown_draw is None:
                raise ProtocolError("no_draw", "no draw has been prepared")
            self.outbox.set_screen(args.screen)
            self.outbox.admin()
            return {"screen": audience.screen}

    def prepare_draw(self, args: PrepareDraw) -> dict[str, Any]:
        """Prepare a prize draw and show its commitment on the LED."""
        with self._hosting():
            draw = self.prizes.prepare(args)
            self.outbox.set_screen("draw")
            self.outbox.admin()
            return {"draw": draw.id, "commitment": draw.commitment, "eligible": len(draw.eligible)}

    def exclude_address(self, args: ExcludeAddress) -> dict[str, Any]:
        """Leave an address's phones (a cluster the console shows) out of the next draws."""
        with self._hosting():
            self.prizes.exclude_address(args.address, args.exclude)
            self.outbox.admin()
            return {"clusters": self.prizes.clusters()}

    def run_draw(self, args: RunDraw) -> dict[str, Any]:
        """Run a prepared draw: winners on the LED, each winner's phone told its claim code."""
        with self._hosting():
            done = self.prizes.run(args)
            self.outbox.set_screen("draw")
            self.outbox.admin()
            for phone in {w.phone for w in done.winners or ()}:
                self.outbox.tell(phone, "won")
            winners = [
                {"position": w.position, "nickname": w.nickname, "claim_code": w.claim_code}
                for w in done.winners or ()
            ]
            return {"draw": done.id, "winners": winners}

    def export_draws(self, args: ExportDraws) -> dict[str, Any]:
        """Every draw of the event as a JSON or CSV file."""
        with self._hosting():
            return self.prizes.export(args)


__all__ = ["AudienceDesk", "Matches"]
