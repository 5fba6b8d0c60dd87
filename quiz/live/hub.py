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
from dataclasses import dataclass, replace
from typing import Any

from flask_socketio import SocketIO
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from quiz.engine import Match, MatchRules, Side, command_from_dict
from quiz.engine import commands as C
from quiz.live import rooms
from quiz.live.concurrency import Lock, make_lock
from quiz.live.protocol import (
    ADMIN_MODELS,
    AUDIENCE_COMMANDS,
    HOST_ADMIN_COMMANDS,
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
from quiz.live.service import SIDE_COLOURS, MatchService, load_log, pick_moment
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
AUDIENCE_EVERY_MS = 500
DEFAULT_EVENT_TITLE = "网络安全知识竞赛"
AUDIENCE_YOU = {"side": None, "seat": None, "match_id": None}


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
    ) -> None:
        self.socketio = socketio
        self.sessions = sessions
        self.questions = questions
        self.clock = clock
        self.async_mode = async_mode
        self._host_token = host_token.encode()
        self.public_url = (public_url or "").rstrip("/")
        self.tick_max_ms = tick_max_ms
        self.lock = make_lock(async_mode)
        self.event: dict[str, Any] = {"id": None, "title": DEFAULT_EVENT_TITLE, "lang": "zh-CN"}
        self.services: dict[int, MatchService] = {}
        self.current: MatchService | None = None
        self.clients: dict[str, Client] = {}
        self._acks: dict[str, OrderedDict[str, dict[str, Any]]] = {}
        self._client_locks: dict[str, Lock] = {}
        self._rtt: dict[str, deque[float]] = {}
        self._buckets: dict[str, tuple[float, int]] = {}
        self._console_rev = 0
        self._last_audience_ms = 0
        self._wake: Any = None
        self._running = False

    # --- start-up ----------------------------------------------------------------------------

    def load(self) -> None:
        """Pick the current event (creating one on an empty database) and rebuild every live
        match by replaying its log."""
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
            for match in live:
                try:
                    service = self._service_for(session, match)
                    service.engine = Match.replay(service.rules, load_log(session, match.id))
                except Exception:
                    # Leave the log untouched for inspection rather than guessing a repair.
                    log.exception("match %s could not be replayed; left as is", match.id)
                    continue
                service._track_question()
                self.services[match.id] = service
                if match.event_id == self.event["id"]:
                    self.current = service
        for service in list(self.services.values()):
            self._pause_after_recovery(service)

    def _pause_after_recovery(self, service: MatchService) -> None:
        """A clock that was running when the server stopped is paused at the last logged
        moment, so nobody loses answer time to the outage; the host resumes."""
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

    def stop(self) -> None:
        self._running = False
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
        """Expire due deadlines and flush the audience tally; returns seconds to sleep."""
        now = self.clock()
        wait_ms = IDLE_WAKE_S * 1000
        for service in list(self.services.values()):
            deadline = service.engine.next_deadline()
            if deadline is not None and deadline <= now:
                self._apply(service, C.Tick(), now)
                deadline = service.engine.next_deadline()
            if deadline is not None:
                wait_ms = min(wait_ms, max(deadline - now, 0), self.tick_max_ms)
        shown = self.current
        if shown is not None and shown.audience_dirty:
            due = self._last_audience_ms + AUDIENCE_EVERY_MS
            if now >= due:
                self.emit_audience(now)
            else:
                wait_ms = min(wait_ms, due - now)
        return wait_ms / 1000

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
        self._send_state_to(client)
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
        with self.lock, self.sessions.begin() as session:
            seat = session.scalars(select(Seat).where(Seat.code == code)).first()
            if seat is None or seat.revoked or seat.match.status == "aborted":
                raise ProtocolError("unknown_seat", "this seat code is not valid (any more)")
            if seat.device_id is not None and seat.device_id != auth.device:
                raise ProtocolError("seat_taken", "this seat is already used by another phone")
            seat.device_id = auth.device
            seat_side = seat.side
            client = Client(
                sid,
                "player",
                auth.device,
                auth.lang,
                seat=code,
                match_id=seat.match_id,
                side=seat.side,
            )
        side = Side(seat_side)
        service = self.services.get(client.match_id or -1)
        if service is not None and service.engine.state.side_of(auth.device) is not side:
            self._apply(service, C.BindDevice(side, auth.device), self.clock())
        return client

    def disconnect(self, sid: str) -> None:
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
        for room in self._rooms_of(client):
            self.socketio.server.enter_room(client.sid, room, namespace=NAMESPACE)

    def _regroup(self, old_event_id: int | None = None) -> None:
        """Move every socket into the rooms it belongs to now (after an event switch or a match
        start); rare admin operations, so a loop over clients is fine here."""
        server = self.socketio.server
        with self.lock:
            for client in list(self.clients.values()):
                for room in server.rooms(client.sid, namespace=NAMESPACE):
                    if room != client.sid:
                        server.leave_room(client.sid, room, namespace=NAMESPACE)
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
        """One serialisation per role, one emit per room."""
        full = self.full_state(moment)
        event_id = self.event["id"]
        emit = self.socketio.emit
        emit("state", full, to=rooms.room_host(event_id), namespace=NAMESPACE)
        emit(
            "state",
            self._state_for(full, "display", None),
            to=rooms.room_display(event_id),
            namespace=NAMESPACE,
        )
        emit(
            "state",
            self._state_for(full, "audience", AUDIENCE_YOU),
            to=rooms.room_audience(event_id),
            namespace=NAMESPACE,
        )
        service = self.current
        if service is not None:
            seats = self._seat_codes(service.match_id)
            for side in ("red", "blue"):
                you = {"side": side, "seat": seats.get(side), "match_id": service.match_id}
                emit(
                    "state",
                    self._state_for(full, "player", you),
                    to=rooms.room_side(service.match_id, side),
                    namespace=NAMESPACE,
                )

    def _send_state_to(self, client: Client) -> None:
        full = self.full_state(None)
        if client.role == "host":
            payload = full
        elif client.role == "display":
            payload = self._state_for(full, "display", None)
        elif client.role == "player" and self.current and self.current.match_id == client.match_id:
            you = {"side": client.side, "seat": client.seat, "match_id": client.match_id}
            payload = self._state_for(full, "player", you)
        else:
            payload = self._state_for(full, "audience", AUDIENCE_YOU)
        self.socketio.emit("state", payload, to=client.sid, namespace=NAMESPACE)
        if self.current is not None and client.role in ("host", "display", "audience"):
            self.socketio.emit(
                "audience", self.current.audience_view(), to=client.sid, namespace=NAMESPACE
            )

    def _seat_codes(self, match_id: int) -> dict[str, str]:
        with self.sessions() as session:
            seats = session.scalars(
                select(Seat).where(Seat.match_id == match_id, Seat.revoked.is_(False))
            )
            return {s.side: s.code for s in seats}

    def emit_audience(self, now: int | None = None) -> None:
        service = self.current
        if service is None:
            return
        service.audience_dirty = False
        self._last_audience_ms = now if now is not None else self.clock()
        payload = service.audience_view()
        event_id = self.event["id"]
        for room in (
            rooms.room_host(event_id),
            rooms.room_display(event_id),
            rooms.room_audience(event_id),
        ):
            self.socketio.emit("audience", payload, to=room, namespace=NAMESPACE)

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

    def sync(self, sid: str, raw: Any, received_ms: int) -> dict[str, Any]:
        try:
            msg = parse_sync(raw)
        except ProtocolError as exc:
            return exc.ack()
        client = self.clients.get(sid)
        if msg.rtt is not None and client is not None and client.device:
            self._rtt.setdefault(client.device, deque(maxlen=9)).append(msg.rtt)
        return {"t0": msg.t0, "t1": received_ms, "t2": self.clock()}

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
            return False
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
            if cmd.type in HOST_ADMIN_COMMANDS:
                extra = self._admin(cmd)
                return {"ok": True, "seq": self.current.seq if self.current else 0, **extra}
        elif client.role == "player" and cmd.type in PLAYER_COMMANDS:
            return self._player_command(client, cmd, received_ms)
        elif client.role == "audience" and cmd.type in AUDIENCE_COMMANDS:
            service = self._live_service()
            assert client.device is not None
            service.guess(client.device, parse_choices(cmd.args))
            self._poke()
            return {"ok": True, "seq": service.seq}
        raise ProtocolError("forbidden", f"a {client.role} may not send {cmd.type}")

    def _live_service(self, finished_too: bool = False) -> MatchService:
        service = self.current
        if service is None or not (service.status == "live" or finished_too):
            raise ProtocolError("no_match", "no match is live")
        return service

    def _apply(self, service: MatchService, command: C.Command, now: int) -> list[dict[str, Any]]:
        events = service.apply(command, now, self.sessions, self._on_change)
        if events:
            self._poke()
        return events

    def _on_change(self, service: MatchService, events: list[dict[str, Any]]) -> None:
        if service is self.current:
            self.broadcast_state(pick_moment(events))
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
            if cmd.seq != service.seq:
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
            command = C.Buzz(device_id=client.device, press_at=parse_buzz(cmd.args))
        else:
            command = C.SubmitChoice(device_id=client.device, choices=parse_choices(cmd.args))
        events = self._apply(service, command, received_ms)
        return {"ok": True, "seq": service.seq, "events": [e["type"] for e in events]}

    # --- admin -------------------------------------------------------------------------------

    def _admin(self, cmd: Command) -> dict[str, Any]:
        args = validate_args(ADMIN_MODELS[cmd.type], cmd.args)
        with self.lock:
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
        self._regroup()
        self.broadcast_state()
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
                rules=rules.to_dict(),
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
            code = _new_code(session)
            session.add(Seat(match_id=row.id, side=args.side, code=code))
        service = self.services.get(args.match_id)
        if unbind and service is not None and service.engine.state.side_of(unbind) is not None:
            self._apply(service, C.UnbindDevice(unbind), self.clock())
        for client in list(self.clients.values()):
            if client.match_id == args.match_id and client.side == args.side:
                # The old phone loses its seat; it reconnects and is told the code is gone.
                self.socketio.server.disconnect(client.sid, namespace=NAMESPACE)
                self.clients.pop(client.sid, None)
        self.emit_console()
        return {"code": code}

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
        rules = MatchRules.from_dict(row.rules)
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
        )

    def _codes_used_elsewhere(self, service: MatchService) -> set[str]:
        """Question codes shown by the other matches of this event (from their logs)."""
        with self.sessions() as session:
            commands = session.scalars(
                select(MatchLogEntry.command)
                .join(MatchRow, MatchLogEntry.match_id == MatchRow.id)
                .where(MatchRow.event_id == service.event_id, MatchRow.id != service.match_id)
            ).all()
        used: set[str] = set()
        for command in commands:
            if isinstance(command, dict) and command.get("type") == "show_question":
                found = self.questions.get(str(command.get("question_id")))
                used.add(found.code if found is not None else str(command.get("question_id")))
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
