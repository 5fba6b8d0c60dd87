"""The live hub: the current event, its matches, connected clients, admin and the ticker.

One hub per application. Socket handlers call :meth:`LiveHub.connect`,
:meth:`LiveHub.disconnect`, :meth:`LiveHub.handle_command` and :meth:`LiveHub.sync` and
nothing else. All state changes end in :meth:`LiveHub.broadcast_state`, which serialises one
payload per role and emits it to that role's room.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import secrets
import statistics
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from flask_socketio import SocketIO
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from quiz.engine import Match, MatchRules, Phase, Side, command_from_dict
from quiz.engine import commands as C
from quiz.live import rooms
from quiz.live.audience import AudienceDesk
from quiz.live.checkpoint import Checkpointer, sqlite_file
from quiz.live.collector import MARGIN_MS as COLLECT_MARGIN_MS
from quiz.live.collector import Collector
from quiz.live.concurrency import Lock, make_lock
from quiz.live.fairness import COMPENSATION_KEY, FairBuzzing, FairMatch, restore
from quiz.live.fairness import split_rules as split_fair_rules
from quiz.live.protocol import (
    ADMIN_MODELS,
    AUDIENCE_COMMANDS,
    HOST_ADMIN_COMMANDS,
    HOST_AUDIENCE_COMMANDS,
    HOST_MATCH_COMMANDS,
    PLAYER_COMMANDS,
    VERSION,
    Auth,
    Command,
    ProtocolError,
    ShowQuestion,
    error_ack,
    parse_auth,
    parse_buzz,
    parse_choices,
    parse_command,
    parse_sync,
    validate_args,
)
from quiz.live.questions import QuestionSource, validate_filter
from quiz.live.redact import redact
from quiz.live.service import SIDE_COLOURS, MatchService, load_log, material_seq, pick_moment
from quiz.live.takeover import Takeovers
from quiz.live.tournament import TOURNAMENT_COMMANDS, TournamentDesk
from quiz.models.live import (
    NAME_MAX,
    SEAT_ALPHABET,
    SEAT_CODE_LENGTH,
    SEAT_CODE_RE,
    TITLE_MAX,
    Contestant,
    MatchLogEntry,
    QuizEvent,
    Seat,
    clean_text,
    utcnow,
)
from quiz.models.live import Match as MatchRow

log = logging.getLogger(__name__)

NAMESPACE = "/"
ACK_MEMORY = 256
# Per client: a burst of 20 commands, refilled at 10 a second. A buzzing finger or a fast
# host never gets near it; a script flooding buzzes (each one a log row) does.
RATE_BURST = 20
RATE_PER_S = 10
IDLE_WAKE_S = 1.0
DEFAULT_EVENT_TITLE = "网络安全知识竞赛"
AUDIENCE_YOU = {"side": None, "seat": None, "match_id": None}
#: Phases in which no clock runs against a player: a pause of the event loop hurts nobody.
QUIET_PHASES = frozenset({Phase.READY, Phase.QUESTION, Phase.TIE, Phase.RESULT, Phase.FINISHED})
#: Arguments a phone never sends: its side and device come from its seat.
CROSS_SEAT = frozenset({"side", "device", "device_id"})
#: What a restart does with deadlines that were running (docs/reliability.md).
RESUME_DEADLINES = ("paused", "continue")


@dataclass
class Client:
    """One connected socket, as authenticated at connect time."""

    sid: str
    role: str  # host, display, player (a seated phone) or audience
    device: str | None
    lang: str
    seat: str | None = None
    match_id: int | None = None
    side: str | None = None
    in_audience: bool = False
    # The rooms this hub put the socket in. Kept here because the Socket.IO manager only knows
    # the rooms of sockets connected to this process (quiz/live/cluster.py).
    rooms: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        """Whose command ids these are: a device survives reconnects, a sid does not."""
        return f"{self.role}:{self.device or self.sid}"


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
        public_url: str | None = None,
        tick_max_ms: int = 50,
        resume_deadlines: str = "paused",
        gc_maintenance: bool = False,
    ) -> None:
        if resume_deadlines not in RESUME_DEADLINES:
            raise ValueError(f"resume_deadlines must be one of {', '.join(RESUME_DEADLINES)}")
        self.socketio = socketio
        self.sessions = sessions
        self.questions = questions
        self.clock = clock
        self.async_mode = async_mode
        self._host_token = host_token.encode()
        self.public_url = (public_url or "").rstrip("/")
        self.tick_max_ms = tick_max_ms
        self.resume_deadlines = resume_deadlines
        self.lock = make_lock(async_mode)
        self.event: dict[str, Any] = {"id": None, "title": DEFAULT_EVENT_TITLE, "lang": "zh-CN"}
        self._audience_cache: tuple[tuple[Any, ...], dict[str, Any]] | None = None
        self.services: dict[int, MatchService] = {}
        self.current: MatchService | None = None
        self.clients: dict[str, Client] = {}
        self._acks: dict[str, OrderedDict[str, dict[str, Any]]] = {}
        self._client_locks: dict[str, Lock] = {}
        self._rtt: dict[str, deque[float]] = {}
        self._buckets: dict[str, tuple[float, int]] = {}
        # Seat codes change only through issue_seat; broadcasts must not query for them.
        self._seats: dict[int, dict[str, str]] = {}
        self.fair = FairBuzzing()  # clock sync per contestant phone (quiz/live/fairness.py)
        self._takeovers = Takeovers()
        self._checkpointer: Checkpointer | None = None
        self._limited: set[str] = set()  # keys being rate limited (logged once per episode)
        self._console_rev = 0
        self.tournament = TournamentDesk(self)  # the event's tournament (两两抢答)
        self.audience = AudienceDesk(
            self,
            lambda: self.clients.values(),
            sessions=sessions,
            socketio=socketio,
            async_mode=async_mode,
            clock=clock,
            questions=questions,
            poke=self._poke,
        )
        self._wake: Any = None
        self._running = False
        # Full garbage collections at quiet moments only (quiz/live/collector.py).
        self.collector = Collector(gc_maintenance)

    # --- start-up ----------------------------------------------------------------------------

    def load(self) -> None:
        """Pick the current event (creating one on an empty database) and rebuild every live
        match by replaying its log (and the finished one still on the display, if any)."""
        with self.sessions.begin() as session:
            row = session.scalars(select(QuizEvent).order_by(QuizEvent.id.desc()).limit(1)).first()
            if row is None:
                row = QuizEvent(title=DEFAULT_EVENT_TITLE, lang="zh-CN")
                session.add(row)
                session.flush()
            self.event = _event_dict(row)
            live = session.scalars(
                select(MatchRow).where(MatchRow.status == "live").order_by(MatchRow.id)
            ).all()
            shown = _last_ended(session, self.event["id"])
            if shown is not None and not any(m.event_id == shown.event_id for m in live):
                live = [*live, shown]
            for match in live:
                try:
                    service = self._service_for(session, match)
                    service.engine = Match.replay(service.rules, load_log(session, match.id))
                    service.fair = restore(session, match.id, service.fair.compensation)
                except Exception:
                    # Leave the log untouched for inspection rather than guessing a repair.
                    log.exception("match %s could not be replayed; left as is", match.id)
                    continue
                service.status = match.status
                service.material_seq = material_seq(session, match.id)
                service._track_question()
                self.services[match.id] = service
                if match.event_id == self.event["id"]:
                    self.current = service
        if self.resume_deadlines == "paused":
            for service in list(self.services.values()):
                self._pause_after_recovery(service)
        # "continue": deadlines keep their logged server times; the ticker expires any that
        # fell due during the outage, at the moment they fell due (the engine's rule).
        self.tournament.load()
        self.audience.load(self.event["id"])

    def _pause_after_recovery(self, service: MatchService) -> None:
        """A clock that was running when the server stopped is paused at the last logged
        moment, so nobody loses answer time to the outage; the host resumes (the default,
        ``resume_deadlines="paused"``)."""
        if service.engine.next_deadline() is None:
            return
        last = service.engine.log[-1][1] if service.engine.log else self.clock()
        with contextlib.suppress(ProtocolError):  # not pausable in this phase: nothing runs
            self._apply(service, C.Pause(), last)

    def start_ticker(self) -> None:
        if self._running:
            return
        self._running = True
        self._wake = self.socketio.server.eio.create_event()
        self.socketio.start_background_task(self._ticker)
        self.audience.start()
        database = sqlite_file(str(self.sessions.kw["bind"].url))
        if database is not None:
            self._checkpointer = Checkpointer(database, self.async_mode)
            self._checkpointer.start()

    def stop(self) -> None:
        self._running = False
        self.audience.stop()
        if self._checkpointer is not None:
            self._checkpointer.stop()
        if self._wake is not None:
            self._wake.set()

    def _ticker(self) -> None:
        while self._running:
            self._wake.clear()
            try:
                timeout = self.tick()
            except Exception:
                log.exception("ticker")
                timeout = IDLE_WAKE_S
            self._wake.wait(timeout)

    def _poke(self) -> None:
        if self._wake is not None:
            self._wake.set()

    def tick(self) -> float:
        """Expire due deadlines and let the audience desk send its counts and close timed
        rounds; returns seconds to sleep."""
        now = self.clock()
        wait_ms = IDLE_WAKE_S * 1000
        for service in list(self.services.values()):
            deadline = service.engine.next_deadline()
            if deadline is not None and deadline <= now:
                self._apply(service, C.Tick(), now)
                deadline = service.engine.next_deadline()
            if deadline is not None:
                wait_ms = min(wait_ms, max(deadline - now, 0), self.tick_max_ms)
        wait_ms = min(wait_ms, self.audience.tick(now))
        if self.collector.maybe_collect(self.clock(), lambda: self._quiet(now)):
            wait_ms = 0  # the collection took time: look at the deadlines again at once
        return wait_ms / 1000

    def _quiet(self, now: int) -> bool:
        """No match clock is running against a player, nor about to."""
        for service in self.services.values():
            if service.engine.phase not in QUIET_PHASES:
                return False
            deadline = service.engine.next_deadline()
            if deadline is not None and deadline - now < COLLECT_MARGIN_MS:
                return False
        return True

    # --- connections -------------------------------------------------------------------------

    def connect(self, sid: str, raw_auth: Any) -> Client:
        """Authenticate a socket, join its rooms and send it the current state.

        Raises :class:`ProtocolError` (turned into a ``connect_error`` by the handler)."""
        auth = parse_auth(raw_auth)
        if auth.role == "host":
            if auth.token is None or not hmac.compare_digest(auth.token.encode(), self._host_token):
                raise ProtocolError("unauthorized", "the host token is missing or wrong")
            client = Client(sid, "host", auth.device, auth.lang)
        elif auth.role == "display":
            client = Client(sid, "display", auth.device, auth.lang)
        elif auth.seat is not None:
            client = self._seat_client(sid, auth)
        else:
            client = Client(sid, "audience", auth.device, auth.lang)
        with self.lock:
            self.clients[sid] = client
            self._join_rooms(client)
        self.collector.connected(self.clock())
        self._send_state_to(client)
        self.audience.connected(client)
        if client.role == "host":
            self.socketio.emit("console", self.console(), to=sid, namespace=NAMESPACE)
        if client.role == "player":
            self.emit_console()
        return client

    def _seat_client(self, sid: str, auth: Auth) -> Client:
        assert auth.device is not None  # parse_auth requires it of phones
        code = auth.seat or ""
        if not SEAT_CODE_RE.match(code):
            raise ProtocolError("unknown_seat", "this seat code does not exist")
        refusal: ProtocolError | None = None
        asked = False
        with self.lock, self.sessions.begin() as session:
            seat = session.scalars(select(Seat).where(Seat.code == code)).first()
            if seat is None or seat.revoked or seat.match.status == "aborted":
                raise ProtocolError("unknown_seat", "this seat code is not valid (any more)")
            if seat.device_id is not None and seat.device_id != auth.device:
                # Never two buzzers for one side, never a silent swap: the host decides.
                refusal, asked = self._ask_takeover(seat, auth.device)
            else:
                seat.device_id = auth.device
            client = Client(
                sid,
                "player",
                auth.device,
                auth.lang,
                seat=code,
                match_id=seat.match_id,
                side=seat.side,
            )
        if refusal is not None:
            if asked:
                self.emit_console()
            raise refusal
        side = Side(client.side or "")
        service = self.services.get(client.match_id or -1)
        if service is not None and service.engine.state.side_of(auth.device) is not side:
            self._apply(service, C.BindDevice(side, auth.device), self.clock())
        return client

    def _ask_takeover(self, seat: Seat, device: str) -> tuple[ProtocolError, bool]:
        """The refusal for a phone presenting a seat held by another one, and whether the
        host console has a new request to show."""
        verdict, new = self._takeovers.ask(
            seat.match_id, seat.side, seat.code, device, self.clock()
        )
        if verdict == "denied":
            return ProtocolError("seat_taken", "the host kept this seat on another phone"), False
        message = (
            "this seat is used by another phone; the host has been asked to move it to this "
            "one: retry in a few seconds"
        )
        return ProtocolError("takeover_pending", message), new

    def disconnect(self, sid: str) -> None:
        self.fair.forget(sid)
        self.audience.disconnected(sid)
        with self.lock:
            client = self.clients.pop(sid, None)
        if client is not None and client.role == "player":
            self.emit_console()

    def _rooms_of(self, client: Client) -> list[str]:
        event_id = self.event["id"]
        if client.role == "host":
            return [rooms.room_host(event_id)]
        if client.role == "display":
            return [rooms.room_display(event_id)]
        if client.role == "audience":
            return [rooms.room_audience(event_id)]
        assert client.match_id is not None and client.side is not None
        out = [rooms.room_players(client.match_id), rooms.room_side(client.match_id, client.side)]
        if self.current is None or self.current.match_id != client.match_id:
            # A contestant whose match is not on watches the one that is, as audience.
            out.append(rooms.room_audience(event_id))
        return out

    def _join_rooms(self, client: Client) -> None:
        """Put the socket in exactly the rooms it belongs to now (works for sockets on other
        processes too: the message queue forwards enter/leave)."""
        server = self.socketio.server
        wanted = self._rooms_of(client)
        for room in client.rooms:
            if room not in wanted:
                server.leave_room(client.sid, room, namespace=NAMESPACE)
        for room in wanted:
            if room not in client.rooms:
                server.enter_room(client.sid, room, namespace=NAMESPACE)
        client.rooms = wanted

    def _regroup(self, old_event_id: int | None = None) -> None:
        """Move every socket into the rooms it belongs to now (after an event switch or a match
        start); rare admin operations, so a loop over clients is fine here."""
        with self.lock:
            for client in list(self.clients.values()):
                self._join_rooms(client)

    # --- state -------------------------------------------------------------------------------

    def full_state(self, moment: dict[str, Any] | None = None) -> dict[str, Any]:
        service = self.current
        return {
            "v": VERSION,
            "seq": service.seq if service else 0,
            "role": "host",
            "now": self.clock(),
            "event": dict(self.event),
            "match": service.view(self.questions) if service else None,
            "you": None,
            "moment": moment,
        }

    def _state_for(self, full: dict[str, Any], role: str, you: Any) -> dict[str, Any]:
        out = redact(full, role)
        out["you"] = you
        return out

    def broadcast_state(self, moment: dict[str, Any] | None = None) -> None:
        """One serialisation per role, one emit per room.

        The rooms that decide the match (host, LED, both contestants) go first and the loop is
        yielded to once before the audience: their sockets are then written before the
        thousands of audience sockets are even queued (docs/performance.md, buzz → LED)."""
        full = self.full_state(moment)
        # Redaction depends on the phase only, not on the non-host role: strip once.
        public = redact(full, "audience")
        event_id = self.event["id"]
        emit = self.socketio.emit
        # The tournament goes to the host and the LED only: phones never show it.
        tournament = self.tournament.view()
        emit(
            "state",
            {**full, "tournament": tournament},
            to=rooms.room_host(event_id),
            namespace=NAMESPACE,
        )
        emit(
            "state",
            {**public, "role": "display", "you": None, "tournament": tournament},
            to=rooms.room_display(event_id),
            namespace=NAMESPACE,
        )
        service = self.current
        if service is not None:
            seats = self._seat_codes(service.match_id)
            for side in ("red", "blue"):
                you = {"side": side, "seat": seats.get(side), "match_id": service.match_id}
                emit(
                    "state",
                    {**public, "role": "player", "you": you},
                    to=rooms.room_side(service.match_id, side),
                    namespace=NAMESPACE,
                )
        self.socketio.sleep(0)
        emit(
            "state",
            {**public, "role": "audience", "you": AUDIENCE_YOU},
            to=rooms.room_audience(event_id),
            namespace=NAMESPACE,
        )

    def _audience_state(self) -> dict[str, Any]:
        """The state a newly connected audience phone gets: the same for every phone until the
        match changes, so a join storm builds and redacts it once, not once per phone (the
        engine snapshot and the redaction walk were most of a join's work). ``now`` is the
        one field that must be fresh."""
        service = self.current
        key = (
            id(service),
            service.seq if service else 0,
            service.status if service else None,
            tuple(self.event.items()),
        )
        cached = self._audience_cache
        if cached is None or cached[0] != key:
            state = self._state_for(self.full_state(None), "audience", AUDIENCE_YOU)
            cached = self._audience_cache = (key, state)
        return {**cached[1], "now": self.clock()}

    def _send_state_to(self, client: Client) -> None:
        if client.role == "host":
            payload = self.full_state(None)
        elif client.role == "display":
            payload = self._state_for(self.full_state(None), "display", None)
        elif client.role == "player" and self.current and self.current.match_id == client.match_id:
            you = {"side": client.side, "seat": client.seat, "match_id": client.match_id}
            payload = self._state_for(self.full_state(None), "player", you)
        else:  # the audience, and a contestant whose match is not on
            payload = self._audience_state()
        if client.role in ("host", "display"):
            payload["tournament"] = self.tournament.view()
        self.socketio.emit("state", payload, to=client.sid, namespace=NAMESPACE)

    def _seat_codes(self, match_id: int) -> dict[str, str]:
        cached = self._seats.get(match_id)
        if cached is not None:
            return cached
        with self.sessions() as session:
            seats = session.scalars(
                select(Seat).where(Seat.match_id == match_id, Seat.revoked.is_(False))
            )
            codes = self._seats[match_id] = {s.side: s.code for s in seats}
            return codes

    def console(self) -> dict[str, Any]:
        """The host-only admin view of the current event."""
        event_id = self.event["id"]
        # No hub lock here: this runs inside match changes (lock order is hub -> match).
        online = {(c.match_id, c.side) for c in list(self.clients.values()) if c.role == "player"}
        with self.sessions() as session:
            events = session.scalars(select(QuizEvent).order_by(QuizEvent.id.desc()).limit(50))
            contestants = session.scalars(
                select(Contestant).where(Contestant.event_id == event_id).order_by(Contestant.id)
            ).all()
            matches = session.scalars(
                select(MatchRow).where(MatchRow.event_id == event_id).order_by(MatchRow.id)
            ).all()
            seats = session.scalars(
                select(Seat)
                .join(MatchRow, Seat.match_id == MatchRow.id)
                .where(MatchRow.event_id == event_id, Seat.revoked.is_(False))
                .order_by(Seat.id)
            ).all()
            self._console_rev += 1
            return {
                "v": VERSION,
                "rev": self._console_rev,
                "event": dict(self.event),
                "events": [
                    {"id": e.id, "title": e.title, "created": e.created.isoformat()} for e in events
                ],
                "contestants": [{"id": c.id, "name": c.name} for c in contestants],
                "matches": [
                    {
                        "id": m.id,
                        "number": i,
                        "status": m.status,
                        "red": m.red_id,
                        "blue": m.blue_id,
                        "created": m.created.isoformat(),
                        "finished": m.finished.isoformat() if m.finished else None,
                        "outcome": m.outcome,
                    }
                    for i, m in enumerate(matches, start=1)
                ],
                "seats": [
                    {
                        "match_id": s.match_id,
                        "side": s.side,
                        "code": s.code,
                        "url": f"{self.public_url}/s/{s.code}",
                        "qr": f"/qr/seat/{s.code}.svg",
                        "device": s.device_id,
                        "online": (s.match_id, s.side) in online,
                        "latency_ms": self._latency(s.device_id),
                    }
                    for s in seats
                ],
                "takeovers": self._takeovers.public(),
                "tournament": self.tournament.console_view(),
                "bank": self.questions.stats(),
                "join_url": f"{self.public_url}/j",
                "display_url": f"{self.public_url}/display",
            }

    def emit_console(self) -> None:
        self.socketio.emit(
            "console", self.console(), to=rooms.room_host(self.event["id"]), namespace=NAMESPACE
        )

    def _latency(self, device: str | None) -> float | None:
        samples = self._rtt.get(device or "")
        return round(statistics.median(samples), 1) if samples else None

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
        client = self.clients.get(sid)
        if msg.rtt is not None and client is not None and client.device:
            self._rtt.setdefault(client.device, deque(maxlen=9)).append(msg.rtt)
        sent_ms = self.clock() if sent_ms is None else sent_ms
        if client is not None and client.role == "player" and client.device:
            self.fair.sync(sid, client.device, msg.t0, received_ms, sent_ms, msg.prev, msg.rtt)
        return {"t0": msg.t0, "t1": received_ms, "t2": sent_ms}

    def handle_command(self, sid: str, raw: Any, received_ms: int) -> dict[str, Any]:
        """Validate, de-duplicate and run one command; always returns an ack, never raises."""
        client = self.clients.get(sid)
        if client is None:
            return error_ack("forbidden", "not connected")
        try:
            cmd = parse_command(raw)
        except ProtocolError as exc:
            return exc.ack()
        with self._client_lock(client.key):
            remembered = self._acks.setdefault(client.key, OrderedDict())
            if cmd.id in remembered:
                return remembered[cmd.id]
            if not self._allow(client.key, received_ms):
                return error_ack("rate_limited", "too many commands; slow down")
            try:
                ack = self._dispatch(client, cmd, received_ms)
            except ProtocolError as exc:
                ack = exc.ack()
                if exc.code == "forbidden" or (
                    client.role == "player" and CROSS_SEAT & cmd.args.keys()
                ):
                    # A phone or the wall trying host commands, or a phone naming a side or
                    # device (the seat decides those): worth a look.
                    log.warning("%s %s from %s (%s)", exc.code, cmd.type, client.key, sid)
            except Exception:
                log.exception("command %s from %s", cmd.type, client.key)
                ack = error_ack("internal", "the server could not apply this command")
            remembered[cmd.id] = ack
            while len(remembered) > ACK_MEMORY:
                remembered.popitem(last=False)
            return ack

    def _allow(self, key: str, now_ms: int) -> bool:
        tokens, last = self._buckets.get(key, (float(RATE_BURST), now_ms))
        tokens = min(float(RATE_BURST), tokens + (now_ms - last) * RATE_PER_S / 1000)
        if tokens < 1:
            self._buckets[key] = (tokens, now_ms)
            if key not in self._limited:
                self._limited.add(key)
                log.warning("rate limiting %s", key)
            return False
        self._limited.discard(key)
        self._buckets[key] = (tokens - 1, now_ms)
        return True

    def _client_lock(self, key: str) -> Lock:
        with self.lock:
            lock = self._client_locks.get(key)
            if lock is None:
                lock = self._client_locks[key] = make_lock(self.async_mode)
            return lock

    def _dispatch(self, client: Client, cmd: Command, received_ms: int) -> dict[str, Any]:
        if client.role == "host":
            if cmd.type in HOST_MATCH_COMMANDS:
                return self._host_match_command(cmd, received_ms)
            if cmd.type == "rotate_token":
                return self._rotate_token(client, cmd)
            if cmd.type in HOST_ADMIN_COMMANDS:
                extra = self._admin(cmd)
                return {"ok": True, "seq": self.current.seq if self.current else 0, **extra}
            if cmd.type in HOST_AUDIENCE_COMMANDS:
                extra = self.audience.host_command(cmd)
                return {"ok": True, "seq": self.current.seq if self.current else 0, **extra}
        elif client.role == "player" and cmd.type in PLAYER_COMMANDS:
            return self._player_command(client, cmd, received_ms)
        elif client.role == "audience" and cmd.type in AUDIENCE_COMMANDS:
            extra = self.audience.phone_command(client, cmd, received_ms)
            return {"ok": True, "seq": self.current.seq if self.current else 0, **extra}
        raise ProtocolError("forbidden", f"a {client.role} may not send {cmd.type}")

    def _live_service(self, finished_too: bool = False) -> MatchService:
        service = self.current
        if service is None or not (service.status == "live" or finished_too):
            raise ProtocolError("no_match", "no match is live")
        return service

    def _apply(
        self, service: MatchService, command: C.Command, now: int, receipt: Any = None
    ) -> list[dict[str, Any]]:
        events = service.apply(command, now, self.sessions, self._on_change, receipt)
        if events:
            self._poke()
        return events

    def _on_change(self, service: MatchService, events: list[dict[str, Any]]) -> None:
        # A tournament match's result moves the bracket before anyone sees the change.
        self.tournament.after_match_change(service, events)
        if service is self.current:
            # A concluded question's audience result goes to the LED before the state fans
            # out to every phone; the rest of the audience's work waits for the broadcast.
            self.audience.before_broadcast(service)
            self.broadcast_state(pick_moment(events))
            # Let every socket write the new state before the audience desk queues its own
            # message (a new question's audience round) behind it on the same sockets:
            # otherwise each phone's state waits for the whole room's messages ahead of it, and
            # a question reaches the last phone later (bench/live.py).
            self.socketio.sleep(0)
            self.audience.on_match_change(service)
        if any(e["type"] in ("match_won", "match_ended", "undone") for e in events):
            self.emit_console()

    def _host_match_command(self, cmd: Command, received_ms: int) -> dict[str, Any]:
        if cmd.seq is None:
            raise ProtocolError("invalid", "seq: host match commands carry the last seen seq")
        command: C.Command | None = None
        if cmd.type == "show_question":
            question_id = validate_args(ShowQuestion, cmd.args).question_id
        else:
            try:
                command = command_from_dict({"type": cmd.type, **cmd.args})
            except (ValueError, TypeError) as exc:
                raise ProtocolError("invalid", str(exc)[:200]) from None
        # A finished match still takes undo and override (the engine's phase table decides).
        service = self._live_service(finished_too=True)
        with service.lock:
            if not service.material_seq <= cmd.seq <= service.seq:
                raise ProtocolError(
                    "stale", f"based on seq {cmd.seq} but the match is at seq {service.seq}"
                )
            if command is None:
                command, _question = service.show_question(
                    question_id, self.questions, self._codes_used_elsewhere(service)
                )
            self._apply(service, command, received_ms)
            return {"ok": True, "seq": service.seq}

    def _player_command(self, client: Client, cmd: Command, received_ms: int) -> dict[str, Any]:
        service = self._live_service()
        if client.match_id != service.match_id:
            raise ProtocolError("no_match", "your match is not the one being played")
        assert client.device is not None
        command: C.Command
        if cmd.type == "buzz":
            press_at, press_local = parse_buzz(cmd.args)
            with service.lock:  # the estimate must see the state the buzz is applied to
                state = service.engine.state
                command, receipt = self.fair.buzz(
                    service.fair, state, client.device, press_at, press_local, received_ms
                )
                events = self._apply(service, command, received_ms, receipt)
        else:
            command = C.SubmitChoice(device_id=client.device, choices=parse_choices(cmd.args))
            events = self._apply(service, command, received_ms)
        return {"ok": True, "seq": service.seq, "events": [e["type"] for e in events]}

    # --- admin -------------------------------------------------------------------------------

    def _admin(self, cmd: Command) -> dict[str, Any]:
        args = validate_args(ADMIN_MODELS[cmd.type], cmd.args)
        with self.lock:
            if cmd.type in TOURNAMENT_COMMANDS:
                return self.tournament.admin(cmd.type, args)
            handler = getattr(self, f"_admin_{cmd.type}")
            result: dict[str, Any] = handler(args)
        return result

    def _admin_create_event(self, args: Any) -> dict[str, Any]:
        if any(s.status == "live" for s in self.services.values()):
            raise ProtocolError("conflict", "finish or abort the live match first")
        title = _clean(args.title, TITLE_MAX, "title")
        slogan = _clean(args.slogan, TITLE_MAX, "slogan") if args.slogan else None
        with self.sessions.begin() as session:
            row = QuizEvent(title=title, lang=args.lang, slogan=slogan)
            session.add(row)
            session.flush()
            self.event = _event_dict(row)
        self.current = None
        self.services = {}
        self.tournament.load()
        self._regroup()
        self.broadcast_state()
        self.audience.switch_event(self.event["id"])
        self.emit_console()
        return {"event_id": self.event["id"]}

    def _admin_add_contestant(self, args: Any) -> dict[str, Any]:
        name = _clean(args.name, NAME_MAX, "name")
        with self.sessions.begin() as session:
            row = Contestant(event_id=self.event["id"], name=name)
            session.add(row)
            session.flush()
            contestant_id = row.id
        self.emit_console()
        return {"contestant_id": contestant_id}

    def _admin_create_match(self, args: Any) -> dict[str, Any]:
        if args.red == args.blue:
            raise ProtocolError("invalid", "red and blue must be different contestants")
        try:
            rules = MatchRules.from_dict(args.rules or {})
            question_filter = validate_filter(args.filter)
        except (ValueError, TypeError) as exc:
            raise ProtocolError("invalid", str(exc)[:200]) from None
        seed = args.seed or secrets.token_hex(8)
        if not rules.seed:
            rules = replace(rules, seed=seed)
        with self.sessions.begin() as session:
            for cid in (args.red, args.blue):
                c = session.get(Contestant, cid)
                if c is None or c.event_id != self.event["id"]:
                    raise ProtocolError("not_found", f"no contestant {cid} in this event")
            row = MatchRow(
                event_id=self.event["id"],
                red_id=args.red,
                blue_id=args.blue,
                rules={**rules.to_dict(), COMPENSATION_KEY: args.compensation},
                question_filter=question_filter,
                seed=seed,
                status="pending",
            )
            session.add(row)
            session.flush()
            for side in ("red", "blue"):
                session.add(Seat(match_id=row.id, side=side, code=_new_code(session)))
            match_id = row.id
        self.emit_console()
        return {"match_id": match_id}

    def _match_row(self, session: Session, match_id: int) -> MatchRow:
        row = session.get(MatchRow, match_id)
        if row is None or row.event_id != self.event["id"]:
            raise ProtocolError("not_found", f"no match {match_id} in this event")
        return row

    def _admin_issue_seat(self, args: Any) -> dict[str, Any]:
        unbind: str | None = None
        with self.sessions.begin() as session:
            row = self._match_row(session, args.match_id)
            if row.status not in ("pending", "live"):
                raise ProtocolError("conflict", "seats can be issued only before or during play")
            for seat in session.scalars(
                select(Seat).where(
                    Seat.match_id == row.id, Seat.side == args.side, Seat.revoked.is_(False)
                )
            ):
                seat.revoked = True
                unbind = seat.device_id or unbind
                self._takeovers.forget_code(seat.code)
            code = _new_code(session)
            session.add(Seat(match_id=row.id, side=args.side, code=code))
        self._seats.pop(args.match_id, None)
        service = self.services.get(args.match_id)
        if unbind and service is not None and service.engine.state.side_of(unbind) is not None:
            self._apply(service, C.UnbindDevice(unbind), self.clock())
        # The old phone loses its seat; if it reconnects it is told the code is gone.
        self._cut_off(
            lambda c: c.match_id == args.match_id and c.side == args.side,
            "seat_reissued",
            "the host gave this seat a new code",
        )
        self.emit_console()
        return {"code": code}

    def _admin_approve_takeover(self, args: Any) -> dict[str, Any]:
        request = self._takeovers.find(args.match_id, args.side, args.device)
        if request is None:
            raise ProtocolError("not_found", "no such request is waiting")
        with self.sessions.begin() as session:
            seat = session.scalars(select(Seat).where(Seat.code == request.code)).first()
            if seat is None or seat.revoked or seat.match.status not in ("pending", "live"):
                self._takeovers.forget_code(request.code)
                raise ProtocolError("conflict", "that seat code is no longer in use")
            old, seat.device_id = seat.device_id, request.device
        self._takeovers.approve(request)
        service = self.services.get(request.match_id)
        if service is not None:
            # Unbind first: at no moment may both phones buzz for the side.
            if old and service.engine.state.side_of(old) is not None:
                self._apply(service, C.UnbindDevice(old), self.clock())
            self._apply(service, C.BindDevice(Side(request.side), request.device), self.clock())
        self._cut_off(
            lambda c: c.match_id == request.match_id and c.side == request.side,
            "seat_moved",
            "the host moved this seat to another phone",
        )
        log.warning("seat %s moved to another phone by the host", request.code)
        self.emit_console()
        return {"code": request.code}

    def _admin_deny_takeover(self, args: Any) -> dict[str, Any]:
        request = self._takeovers.find(args.match_id, args.side, args.device)
        if request is None:
            raise ProtocolError("not_found", "no such request is waiting")
        self._takeovers.deny(request)
        log.warning("seat %s: the host refused another phone", request.code)
        self.emit_console()
        return {}

    def _cut_off(self, which: Callable[[Client], bool], code: str, message: str) -> int:
        """Tell the matching sockets why, then disconnect them; returns how many."""
        gone = [c for c in list(self.clients.values()) if which(c)]
        notice = {"v": VERSION, "code": code, "message": message}
        for client in gone:
            self.socketio.emit("notice", notice, to=client.sid, namespace=NAMESPACE)
            self.socketio.server.disconnect(client.sid, namespace=NAMESPACE)
            self.clients.pop(client.sid, None)
        return len(gone)

    def _rotate_token(self, client: Client, cmd: Command) -> dict[str, Any]:
        """A fresh host token; every other host session is cut off and must use the new one.

        The ack to the sender is the one message that ever carries a token."""
        validate_args(ADMIN_MODELS["rotate_token"], cmd.args)
        token = secrets.token_urlsafe(24)
        with self.lock:
            self._host_token = token.encode()
            cut = self._cut_off(
                lambda c: c.role == "host" and c.sid != client.sid,
                "token_rotated",
                "the host token was changed: open the new host link",
            )
        log.warning("host token rotated by %s; %d other host session(s) cut off", client.sid, cut)
        return {
            "ok": True,
            "seq": self.current.seq if self.current else 0,
            "token": token,
            "host_url": f"{self.public_url}/host?token={token}",
        }

    def _admin_start_match(self, args: Any) -> dict[str, Any]:
        with self.sessions.begin() as session:
            row = self._match_row(session, args.match_id)
            if any(s.status == "live" for s in self.services.values()):
                raise ProtocolError("conflict", "another match is live: finish or abort it first")
            if row.status != "pending":
                raise ProtocolError("conflict", f"match {row.id} is {row.status}, not pending")
            row.status = "live"
            service = self._service_for(session, row)
            bound = [
                (Side(s.side), s.device_id) for s in row.seats if not s.revoked and s.device_id
            ]
        self.services = {service.match_id: service}
        self.current = service
        for side, device in bound:
            self._apply(service, C.BindDevice(side, device), self.clock())
        self._regroup()
        self.broadcast_state()
        self.emit_console()
        return {}

    def _admin_abort_match(self, args: Any) -> dict[str, Any]:
        service = self.services.get(args.match_id)
        if service is not None and service.status == "live":
            self._apply(service, C.EndMatch(reason="aborted"), self.clock())
        with self.sessions.begin() as session:
            row = self._match_row(session, args.match_id)
            if row.status not in ("pending", "live") and service is None:
                raise ProtocolError("conflict", f"match {row.id} is already {row.status}")
            row.status = "aborted"
            row.finished = row.finished or utcnow()
        self.services.pop(args.match_id, None)
        if self.current is not None and self.current.match_id == args.match_id:
            self.current = None
        self._regroup()
        self.broadcast_state()
        self.emit_console()
        return {}

    def _service_for(self, session: Session, row: MatchRow) -> MatchService:
        number = session.scalar(
            select(func.count(MatchRow.id)).where(
                MatchRow.event_id == row.event_id, MatchRow.id <= row.id
            )
        )
        engine_rules, compensation = split_fair_rules(row.rules)
        rules = MatchRules.from_dict(engine_rules)
        sides = {
            side: {"name": c.name, "colour": SIDE_COLOURS[side], "contestant_id": c.id}
            for side, c in (("red", row.red), ("blue", row.blue))
        }
        return MatchService(
            match_id=row.id,
            event_id=row.event_id,
            number=int(number or 1),
            sides=sides,
            rules=rules,
            question_filter=dict(row.question_filter or {}),
            seed=row.seed,
            engine=Match(rules),
            lock=make_lock(self.async_mode),
            fair=FairMatch(compensation),
        )

    def _codes_used_elsewhere(self, service: MatchService) -> set[str]:
        """Question codes shown by the other matches of this event (from their logs) or put
        to its audience."""
        return self.question_codes_used(service.event_id, except_match=service.match_id)

    def question_codes_used(self, event_id: int, except_match: int | None = None) -> set[str]:
        """Question codes shown in the event's matches (but ``except_match``) or put to its
        audience: a question drawn for a match or an audience round is new to the event."""
        with self.sessions() as session:
            commands = session.scalars(
                select(MatchLogEntry.command)
                .join(MatchRow, MatchLogEntry.match_id == MatchRow.id)
                .where(MatchRow.event_id == event_id, MatchRow.id != except_match)
            ).all()
        ids = [
            str(command.get("question_id"))
            for command in commands
            if isinstance(command, dict) and command.get("type") == "show_question"
        ]
        used: set[str] = set()
        for question_id in [*ids, *self.audience.store.question_ids(event_id)]:
            found = self.questions.get(question_id)
            used.add(found.code if found is not None else question_id)
        return used

    def log_entries(self, match_id: int) -> list[MatchLogEntry]:
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(MatchLogEntry)
                    .where(MatchLogEntry.match_id == match_id)
                    .order_by(MatchLogEntry.index)
                )
            )


def _last_ended(session: Session, event_id: int) -> MatchRow | None:
    """The event's finished match that is still on the display: the last match to end, if it
    finished (an aborted one returned the display to attract)."""
    row = session.scalars(
        select(MatchRow)
        .where(MatchRow.event_id == event_id, MatchRow.status.in_(("finished", "aborted")))
        .order_by(MatchRow.finished.desc(), MatchRow.id.desc())
        .limit(1)
    ).first()
    return row if row is not None and row.status == "finished" else None


def _event_dict(row: QuizEvent) -> dict[str, Any]:
    return {"id": row.id, "title": row.title, "lang": row.lang, "slogan": row.slogan}


def _clean(value: str, limit: int, what: str) -> str:
    try:
        return clean_text(value, limit)
    except ValueError as exc:
        raise ProtocolError("invalid", f"{what} {exc}") from None


def _new_code(session: Session) -> str:
    for _ in range(50):
        code = "".join(secrets.choice(SEAT_ALPHABET) for _ in range(SEAT_CODE_LENGTH))
        if session.scalars(select(Seat.id).where(Seat.code == code)).first() is None:
            return code
    raise ProtocolError("internal", "could not find a free seat code")
