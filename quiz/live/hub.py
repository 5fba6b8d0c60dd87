"""The live hub: the router and the connection registry, and the one place the parts meet.

One hub per application. Socket handlers call :meth:`LiveHub.connect`,
:meth:`LiveHub.disconnect`, :meth:`LiveHub.handle_command` and :meth:`LiveHub.sync` and
nothing else. A command passes the gate (``quiz/live/gate.py``: once per id, rate limited)
and is dispatched through the one table of ``quiz/live/routes.py`` to the desk that owns it:
match commands (``play.py``), admin (``admin.py``), the tournament (``tournament.py``) and the
audience (``audience.py``). The current event and its matches live in the registry
(``matches.py``); sockets and rooms in ``connections.py``; the ``state`` fan-out in
``broadcast.py``; the host console payload in ``console.py``; the deadline loop in
``ticker.py``.

Every match change goes through :meth:`LiveHub.apply` (decide, persist, then
:meth:`LiveHub._on_change`: tournament, audience result, broadcast, audience round). The desks
are given the registry and callables, never the hub. Lock order: hub, then match, then desk.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask_socketio import SocketIO
from sqlalchemy.orm import Session, sessionmaker

from quiz.engine import commands as C
from quiz.live.addresses import Addresses, AddressLimits
from quiz.live.admin import Admin
from quiz.live.audience import AudienceDesk
from quiz.live.audience_protocol import Screen
from quiz.live.auth import HostToken
from quiz.live.broadcast import Broadcaster
from quiz.live.checkpoint import Checkpointer, sqlite_file
from quiz.live.collector import Collector
from quiz.live.concurrency import make_lock
from quiz.live.connections import Client, Connections
from quiz.live.console import LATENCY_REFRESH_MS, Console
from quiz.live.fairness import FairBuzzing
from quiz.live.gate import CommandGate
from quiz.live.ledger import CommandLedger
from quiz.live.looplag import LoopProbe
from quiz.live.matches import MatchRegistry
from quiz.live.pipeline import CommandPipeline
from quiz.live.play import Play
from quiz.live.playlist import PlaylistDesk
from quiz.live.protocol import (
    Auth,
    ProtocolError,
    parse_auth,
    parse_sync,
)
from quiz.live.questions import QuestionSource
from quiz.live.rooms import NAMESPACE, room_host
from quiz.live.seats import SeatDoor
from quiz.live.service import MatchService, pick_moment
from quiz.live.storage import DEFAULT_MIN_FREE_MB, StorageHealth
from quiz.live.survey import SurveyDesk
from quiz.live.takeover import Takeovers
from quiz.live.ticker import IDLE_WAKE_S, Ticker, quiet, racing
from quiz.live.tournament import TournamentDesk

log = logging.getLogger(__name__)

REMOTE_HOST_REFUSAL = (
    "the host console is accepted only on the server's own machine (quiz serve --remote-host "
    "allows another one, over HTTPS)"
)
#: What a restart does with deadlines that were running (docs/reliability.md).
RESUME_DEADLINES = ("paused", "continue")

__all__ = ["LiveHub"]


class LiveHub:
    def __init__(
        self,
        *,
        socketio: SocketIO,
        sessions: sessionmaker[Session],
        questions: QuestionSource,
        clock: Callable[[], int],
        async_mode: str,
        host_token: str,
        save_token: Callable[[str], None] | None = None,
        public_url: str | None = None,
        tick_max_ms: int = 50,
        resume_deadlines: str = "paused",
        gc_maintenance: bool = False,
        min_free_mb: int = DEFAULT_MIN_FREE_MB,
        remote_host: bool = False,
        address_limits: AddressLimits | None = None,
        survey_file: Path | None = None,
        playlist_file: Path | None = None,
    ) -> None:
        if resume_deadlines not in RESUME_DEADLINES:
            raise ValueError(f"resume_deadlines must be one of {', '.join(RESUME_DEADLINES)}")
        self.socketio = socketio
        self.sessions = sessions
        self.questions = questions
        self.clock = clock
        self.async_mode = async_mode
        # The host console may be on another machine only if quiz serve allowed it (HTTPS).
        self.host = HostToken(host_token, save_token, remote=remote_host)
        self.addresses = Addresses(address_limits)
        self.public_url = (public_url or "").rstrip("/")
        self.tick_max_ms = tick_max_ms
        self.resume_deadlines = resume_deadlines
        self.lock = make_lock(async_mode)
        self.matches = MatchRegistry(
            sessions, questions, async_mode, lambda e: list(self.audience.store.question_ids(e))
        )
        self.connections = Connections(socketio, self.lock, self.matches)
        self.gate = CommandGate(async_mode, self.lock)
        self.ledger = CommandLedger(sessions)  # command ids across restarts
        bind = sessions.kw["bind"]
        self.storage = StorageHealth(
            sqlite_file(str(bind.url)), min_free_mb, recovered=bind.dispose
        )
        self.fair = FairBuzzing()  # clock sync per contestant phone (quiz/live/fairness.py)
        self.host_console = Console(sessions, self.public_url, self.fair.believed_rtt)
        #: How late the loop may have stamped a buzz (quiz/live/looplag.py).
        self.probe = LoopProbe(clock, socketio.sleep, socketio.start_background_task)
        self.takeovers = Takeovers()
        self._checkpointer: Checkpointer | None = None
        self.admin = Admin(
            sessions=sessions,
            lock=self.lock,
            matches=self.matches,
            connections=self.connections,
            takeovers=self.takeovers,
            host=self.host,
            public_url=self.public_url,
            clock=clock,
            apply=self.apply,
            regroup=self._regrouped,
            event_switched=self._event_switched,
            console=self.emit_console,
        )
        self.tournament = TournamentDesk(  # the event's tournament (两两抢答)
            matches=self.matches,
            sessions=sessions,
            async_mode=async_mode,
            changed=self._changed,
            console=self.emit_console,
            create_match=self.admin.create_match,
            start_match=self.admin.start_match,
        )
        self.broadcaster = Broadcaster(
            socketio, self.matches, questions, clock, self.tournament.view
        )
        self.seats = SeatDoor(
            sessions=sessions,
            lock=self.lock,
            matches=self.matches,
            takeovers=self.takeovers,
            clock=clock,
            apply=self.apply,
            console=self.emit_console,
            async_mode=async_mode,
        )
        self.play = Play(self.matches, questions, self.fair, self.apply, self.probe.around)
        self.ticker = Ticker(socketio, self.tick)
        self.audience = AudienceDesk(  # audience play-along, prize draws
            self.matches,
            lambda: self.connections,
            sessions=sessions,
            socketio=socketio,
            async_mode=async_mode,
            clock=clock,
            questions=questions,
            poke=self.ticker.poke,
            draw_entries_per_address=self.addresses.limits.draw_entries,
        )
        self.survey = SurveyDesk(  # the satisfaction survey (满意率)
            sessions=sessions,
            socketio=socketio,
            async_mode=async_mode,
            clock=clock,
            phone=self.audience.phones.phone,
            show=lambda: self.audience.audience_screen(Screen(screen="survey")),
            source=survey_file,
        )
        self.playlist = PlaylistDesk(  # the LED's slides between matches
            socketio=socketio,
            clock=clock,
            event_id=lambda: int(self.event["id"]),
            source=playlist_file,
        )
        #: Every command's way in: de-duplicated, rate limited, routed (quiz/live/pipeline.py).
        self.pipeline = CommandPipeline(
            connections=self.connections,
            gate=self.gate,
            ledger=self.ledger,
            addresses=self.addresses,
            storage=self.storage,
            lock=self.lock,
            current=lambda: self.current,
            event=lambda: self.event,
            storage_failed=self.emit_console,
            desks={
                Play: self.play,
                Admin: self.admin,
                TournamentDesk: self.tournament,
                AudienceDesk: self.audience,
                SurveyDesk: self.survey,
                PlaylistDesk: self.playlist,
            },
        )
        # Full garbage collections at quiet moments only (quiz/live/collector.py).
        self.collector = Collector(gc_maintenance)

    # --- what the desks and the pages read -----------------------------------------------------

    @property
    def event(self) -> dict[str, Any]:
        return self.matches.event

    @property
    def current(self) -> MatchService | None:
        return self.matches.current

    def is_host(self, token: str | None) -> bool:
        """True if ``token`` is the host token in force (constant-time)."""
        return self.host.is_host(token)

    # --- start-up and shut-down ------------------------------------------------------------

    def load(self) -> None:
        """Check the storage, rebuild the current event's matches from their logs, then the
        desks. A database the server cannot write is loaded all the same (the pages show the
        last state; commands are refused as ``storage_unavailable`` until it is fixed)."""
        self.storage.check(force=True)
        self.matches.load()
        if self.storage.ok:
            self.pipeline.prune_acks()
        # The desks first: the recovery pause below is a match change they follow (an
        # audience without its event would fail on it).
        self.tournament.load()
        self.audience.load(self.event["id"])
        if self.resume_deadlines == "paused":
            for service in list(self.matches.services.values()):
                self._pause_after_recovery(service)
        # "continue": deadlines keep their logged server times; the ticker expires any that
        # fell due during the outage, at the moment they fell due (the engine's rule).
        self.tournament.load()
        self.audience.load(self.event["id"])
        self.survey.load(self.event["id"])

    def _pause_after_recovery(self, service: MatchService) -> None:
        """A clock that was running when the server stopped is paused at the last logged
        moment, so nobody loses answer time to the outage; the host resumes (the default,
        ``resume_deadlines="paused"``)."""
        if service.engine.next_deadline() is None:
            return
        last = service.engine.log[-1][1] if service.engine.log else self.clock()
        try:
            self.apply(service, C.Pause(), last)
        except ProtocolError:  # not pausable in this phase: nothing runs
            pass
        except Exception as exc:
            if not self.storage.failed(exc):  # unwritable: the clock stays as logged
                raise

    def start_ticker(self) -> None:
        if not self.ticker.start():
            return
        self.probe.start()
        self.audience.start()
        self.survey.start()
        database = sqlite_file(str(self.sessions.kw["bind"].url))
        if database is not None:
            self._checkpointer = Checkpointer(
                database,
                self.async_mode,
                failed=self.storage.checkpoint_failed,
                done=self.storage.checkpoint_done,
            )
            self._checkpointer.start()

    def stop(self) -> None:
        self.ticker.stop()
        self.probe.stop()
        self.audience.stop()
        self.survey.stop()
        if self._checkpointer is not None:
            self._checkpointer.stop()

    def forget(self) -> None:
        """Stop and drop every match and socket record: this process no longer decides
        (quiz/live/cluster.py); :meth:`load` rebuilds from the database."""
        self.stop()
        self.matches.forget()
        self.connections.forget()
        self.ledger.forget()

    def tick(self) -> float:
        """Expire due deadlines and let the audience desk send its counts and close timed
        rounds; returns seconds to sleep."""
        if self.storage.news():
            self.emit_console()
        now = self.clock()
        wait_ms = IDLE_WAKE_S * 1000
        for service in list(self.matches.services.values()):
            deadline = service.engine.next_deadline()
            if deadline is not None and deadline <= now and self.storage.ok:
                # Unwritable storage: the deadline waits (nothing is decided unstored).
                try:
                    self.apply(service, C.Tick(), now)
                except Exception as exc:
                    if not self.storage.failed(exc):
                        raise
                    self.emit_console()
                deadline = service.engine.next_deadline()
            if deadline is not None:
                wait_ms = min(wait_ms, max(deadline - now, 0), self.tick_max_ms)
        wait_ms = min(wait_ms, self.audience.tick(now), self.survey.tick(now))
        if not racing(self.matches.services.values()) and self.host_console.latency_moved(now):
            self.emit_console()  # the latency column follows the estimates
        wait_ms = min(wait_ms, LATENCY_REFRESH_MS)
        is_quiet = lambda: quiet(self.matches.services.values(), now)  # noqa: E731
        if self.collector.maybe_collect(self.clock(), is_quiet):
            wait_ms = 0  # the collection took time: look at the deadlines again at once
        return wait_ms / 1000

    # --- connections -------------------------------------------------------------------------

    def connect(self, sid: str, raw_auth: Any) -> Client:
        """Authenticate a socket, join its rooms and send it the current state.

        Raises :class:`ProtocolError` (turned into a ``connect_error`` by the handler)."""
        auth = parse_auth(raw_auth)
        label = self.addresses.label(auth.address)
        now_s = self.clock() / 1000
        if not self.addresses.open_socket(label, sid, now_s):
            raise ProtocolError("too_many_sockets", "too many connections from this address")
        try:
            client = self._admit(sid, auth, label, now_s)
        except ProtocolError:
            self.addresses.close_socket(label, sid, now_s)
            raise
        client.address = label
        self.connections.add(client)
        self.collector.connected(self.clock())
        self.broadcaster.send_to(client)
        self.audience.phones.connected(client)
        self.survey.connected(client)
        self.playlist.connected(client)
        if client.role == "host":
            self.socketio.emit("console", self.console(), to=sid, namespace=NAMESPACE)
        if client.role == "player":
            self.emit_console()
        return client

    def _admit(self, sid: str, auth: Auth, label: str, now_s: float) -> Client:
        """The client a connect becomes, by role; raises :class:`ProtocolError`."""
        if auth.role == "host":
            if auth.address and not self.host.allowed_from(auth.address):
                # The token would have crossed the Wi-Fi: refused even when it is right.
                raise ProtocolError("host_remote", REMOTE_HOST_REFUSAL)
            if not self.is_host(auth.token):
                raise ProtocolError("unauthorized", "the host token is missing or wrong")
            client = Client(sid, "host", auth.device, auth.lang)
        elif auth.role == "display":
            client = Client(sid, "display", auth.device, auth.lang)
        elif auth.seat is not None:
            client = self.seats.admit(sid, auth, label)
        else:
            if auth.device and not self.addresses.new_phone(label, auth.device, now_s):
                raise ProtocolError(
                    "too_many_phones", "too many new phones from this address; try again later"
                )
            client = Client(sid, "audience", auth.device, auth.lang)
        return client

    def disconnect(self, sid: str) -> None:
        self.fair.forget(sid)
        self.audience.phones.disconnected(sid)
        client = self.connections.remove(sid)
        if client is not None:
            self.addresses.close_socket(client.address, sid, self.clock() / 1000)
        if client is not None and client.role == "player":
            self.emit_console()

    # --- telling everyone --------------------------------------------------------------------

    def console(self) -> dict[str, Any]:
        """The host-only admin view of the current event."""
        # No hub lock here: this runs inside match changes (lock order is hub -> match).
        payload = self.host_console.payload(
            self.event,
            self.connections.online_seats(),
            self.takeovers.public(),
            self.tournament.console_view(),
            self.questions.stats(),
        )
        payload["storage"] = self.storage.view()
        return payload

    def emit_console(self) -> None:
        self.socketio.emit(
            "console", self.console(), to=room_host(self.event["id"]), namespace=NAMESPACE
        )

    def _changed(self) -> None:
        """Something every page shows changed: the state and the host console."""
        self.broadcaster.broadcast()
        self.emit_console()

    def _regrouped(self) -> None:
        """The match on the display changed: sockets change rooms, then everyone is told."""
        self.connections.regroup()
        self._changed()

    def _event_switched(self) -> None:
        """A new current event: the desks start over on it, then everyone is told."""
        self.tournament.load()
        self.connections.regroup()
        self.broadcaster.broadcast()
        self.audience.switch_event(self.event["id"])
        self.survey.switch_event(self.event["id"])
        self.emit_console()

    # --- commands ----------------------------------------------------------------------------

    def sync(
        self, sid: str, raw: Any, received_ms: int, sent_ms: int | None = None
    ) -> dict[str, Any]:
        """Answer a clock-sync exchange. ``sent_ms``: the ``t2`` another process already
        answered with (the fair-buzzing sample must hold the times the phone was sent)."""
        try:
            msg = parse_sync(raw)
        except ProtocolError as exc:
            return exc.ack()
        client = self.connections.get(sid)
        if msg.rtt is not None and client is not None and client.device:
            self.host_console.record_rtt(client.device, msg.rtt)
        sent_ms = self.clock() if sent_ms is None else sent_ms
        if client is not None and client.role == "player" and client.device:
            self.fair.sync(sid, client.device, msg.t0, received_ms, sent_ms, msg.prev, msg.rtt)
        return {"t0": msg.t0, "t1": received_ms, "t2": sent_ms}

    def handle_command(self, sid: str, raw: Any, received_ms: int) -> dict[str, Any]:
        """Validate, de-duplicate and run one command; always returns an ack, never raises
        (quiz/live/pipeline.py)."""
        return self.pipeline.handle(sid, raw, received_ms)

    # --- match changes -----------------------------------------------------------------------

    def apply(
        self, service: MatchService, command: C.Command, now: int, receipt: Any = None
    ) -> list[dict[str, Any]]:
        """Decide, persist and tell everyone (the one path of every match change)."""
        events = service.apply(command, now, self.sessions, self._on_change, receipt)
        if events:
            self.ticker.poke()
        return events

    def _on_change(self, service: MatchService, events: list[dict[str, Any]]) -> None:
        # A tournament match's result moves the bracket before anyone sees the change.
        self.tournament.after_match_change(service, events)
        if service is self.current:
            # A concluded question's audience result goes to the LED before the state fans
            # out to every phone; the rest of the audience's work waits for the broadcast.
            self.audience.before_broadcast(service)
            self.broadcaster.broadcast(pick_moment(events))
            # Let every socket write the new state before the audience desk queues its own
            # message (a new question's audience round) behind it on the same sockets:
            # otherwise each phone's state waits for the whole room's messages ahead of it, and
            # a question reaches the last phone later (bench/live.py).
            self.socketio.sleep(0)
            self.audience.on_match_change(service)
        if any(e["type"] in ("match_won", "match_ended", "undone") for e in events):
            self.emit_console()
