"""The host's admin commands: events, contestants, matches, seats and the host token.

Each handler is a route of :mod:`quiz.live.routes` and runs under the hub's lock (except
:meth:`Admin.rotate_token`, which takes it itself); :meth:`Admin.import_contestants` serves
the contestant-list upload (quiz/live/tournament_views.py) and takes the lock too. Changes
are written first; then the callbacks the hub gave tell everyone: ``regroup`` (sockets change
rooms, the new state goes out, the console is refreshed), ``event_switched`` (the same after a
new event, with the desks reloaded) and ``console`` (the host console alone). Match commands go
through ``apply``, the same path as the host's and the phones' (decide, persist, broadcast).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from quiz.engine import MatchRules, Side
from quiz.engine import commands as C
from quiz.live.auth import HostToken
from quiz.live.concurrency import Lock
from quiz.live.connections import Call, Connections
from quiz.live.ledger import provide
from quiz.live.matches import MatchRegistry, event_dict
from quiz.live.play import Apply
from quiz.live.protocol import (
    AddContestant,
    CreateEvent,
    CreateMatch,
    IssueSeat,
    MatchRef,
    NoArgs,
    ProtocolError,
    Takeover,
    validate_args,
)
from quiz.live.questions import validate_filter
from quiz.live.takeover import Takeovers
from quiz.live.tournament_import import ContestantList
from quiz.models.live import (
    NAME_MAX,
    SEAT_ALPHABET,
    SEAT_CODE_LENGTH,
    TITLE_MAX,
    Contestant,
    QuizEvent,
    Seat,
    utcnow,
)
from quiz.models.live import Match as MatchRow
from quiz.records import COMPENSATION_KEY
from quiz.text import clean_text

log = logging.getLogger(__name__)

Notify = Callable[[], None]


class Admin:
    """Route handlers of the host's admin commands."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        lock: Lock,
        matches: MatchRegistry,
        connections: Connections,
        takeovers: Takeovers,
        host: HostToken,
        public_url: str,
        clock: Callable[[], int],
        apply: Apply,
        regroup: Notify,
        event_switched: Notify,
        console: Notify,
    ) -> None:
        self.sessions = sessions
        self.lock = lock
        self.matches = matches
        self.connections = connections
        self.takeovers = takeovers
        self.host = host
        self.public_url = public_url
        self.clock = clock
        self.apply = apply
        self.regroup = regroup
        self.event_switched = event_switched
        self.console = console

    # --- the event and its contestants -----------------------------------------------------

    def create_event(self, args: CreateEvent) -> dict[str, Any]:
        if self.matches.any_live():
            raise ProtocolError("conflict", "finish or abort the live match first")
        title = _clean(args.title, TITLE_MAX, "title")
        slogan = _clean(args.slogan, TITLE_MAX, "slogan") if args.slogan else None
        with self.sessions.begin() as session:
            row = QuizEvent(title=title, lang=args.lang, slogan=slogan)
            session.add(row)
            session.flush()
            event = event_dict(row)
            provide(event_id=event["id"])  # stored with the event (quiz/live/ledger.py)
        self.matches.switch_event(event)
        self.event_switched()
        return {"event_id": event["id"]}

    def add_contestant(self, args: AddContestant) -> dict[str, Any]:
        name = _clean(args.name, NAME_MAX, "name")
        with self.sessions.begin() as session:
            row = Contestant(event_id=self.matches.event["id"], name=name)
            session.add(row)
            session.flush()
            contestant_id = row.id
            provide(contestant_id=contestant_id)
        self.console()
        return {"contestant_id": contestant_id}

    # --- matches ---------------------------------------------------------------------------

    def create_match(
        self, args: CreateMatch, then: Callable[[Session, int], None] | None = None
    ) -> dict[str, Any]:
        """A pending match and its two seats; ``then(session, match_id)`` adds what belongs
        with it to the same transaction (a tournament's link to its pairing), so a crash
        leaves both or neither."""
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
        event_id = self.matches.event["id"]
        with self.sessions.begin() as session:
            for cid in (args.red, args.blue):
                c = session.get(Contestant, cid)
                if c is None or c.event_id != event_id:
                    raise ProtocolError("not_found", f"no contestant {cid} in this event")
            row = MatchRow(
                event_id=event_id,
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
            if then is not None:
                then(session, match_id)
            provide(match_id=match_id)
        self.console()
        return {"match_id": match_id}

    def start_match(self, args: MatchRef) -> dict[str, Any]:
        with self.sessions.begin() as session:
            row = self.matches.row(session, args.match_id)
            if self.matches.any_live():
                raise ProtocolError("conflict", "another match is live: finish or abort it first")
            if row.status != "pending":
                raise ProtocolError("conflict", f"match {row.id} is {row.status}, not pending")
            row.status = "live"
            service = self.matches.service_for(session, row)
            bound = [
                (Side(s.side), s.device_id) for s in row.seats if not s.revoked and s.device_id
            ]
        self.matches.start(service)
        for side, device in bound:
            self.apply(service, C.BindDevice(side, device), self.clock(), None)
        self.regroup()
        return {}

    def abort_match(self, args: MatchRef) -> dict[str, Any]:
        service = self.matches.services.get(args.match_id)
        if service is not None and service.status == "live":
            self.apply(service, C.EndMatch(reason="aborted"), self.clock(), None)
        with self.sessions.begin() as session:
            row = self.matches.row(session, args.match_id)
            if row.status not in ("pending", "live") and service is None:
                raise ProtocolError("conflict", f"match {row.id} is already {row.status}")
            row.status = "aborted"
            row.finished = row.finished or utcnow()
        self.matches.drop(args.match_id)
        self.regroup()
        return {}

    # --- seats -----------------------------------------------------------------------------

    def issue_seat(self, args: IssueSeat) -> dict[str, Any]:
        unbind: str | None = None
        with self.sessions.begin() as session:
            row = self.matches.row(session, args.match_id)
            if row.status not in ("pending", "live"):
                raise ProtocolError("conflict", "seats can be issued only before or during play")
            for seat in session.scalars(
                select(Seat).where(
                    Seat.match_id == row.id, Seat.side == args.side, Seat.revoked.is_(False)
                )
            ):
                seat.revoked = True
                unbind = seat.device_id or unbind
                self.takeovers.forget_code(seat.code)
            code = _new_code(session)
            session.add(Seat(match_id=row.id, side=args.side, code=code))
            provide(code=code)
        self.matches.forget_seats(args.match_id)
        service = self.matches.services.get(args.match_id)
        if unbind and service is not None and service.engine.state.side_of(unbind) is not None:
            self.apply(service, C.UnbindDevice(unbind), self.clock(), None)
        # The old phone loses its seat; if it reconnects it is told the code is gone.
        self.connections.cut_off(
            lambda c: c.match_id == args.match_id and c.side == args.side,
            "seat_reissued",
            "the host gave this seat a new code",
        )
        self.console()
        return {"code": code}

    def approve_takeover(self, args: Takeover) -> dict[str, Any]:
        request = self.takeovers.find(args.match_id, args.side, args.device)
        if request is None:
            raise ProtocolError("not_found", "no such request is waiting")
        with self.sessions.begin() as session:
            seat = session.scalars(select(Seat).where(Seat.code == request.code)).first()
            if seat is None or seat.revoked or seat.match.status not in ("pending", "live"):
                self.takeovers.forget_code(request.code)
                raise ProtocolError("conflict", "that seat code is no longer in use")
            old, seat.device_id = seat.device_id, request.device
            provide(code=request.code)
        self.takeovers.approve(request)
        service = self.matches.services.get(request.match_id)
        if service is not None:
            # Unbind first: at no moment may both phones buzz for the side.
            if old and service.engine.state.side_of(old) is not None:
                self.apply(service, C.UnbindDevice(old), self.clock(), None)
            bind = C.BindDevice(Side(request.side), request.device)
            self.apply(service, bind, self.clock(), None)
        self.connections.cut_off(
            lambda c: c.match_id == request.match_id and c.side == request.side,
            "seat_moved",
            "the host moved this seat to another phone",
        )
        log.warning("seat %s moved to another phone by the host", request.code)
        self.console()
        return {"code": request.code}

    def deny_takeover(self, args: Takeover) -> dict[str, Any]:
        request = self.takeovers.find(args.match_id, args.side, args.device)
        if request is None:
            raise ProtocolError("not_found", "no such request is waiting")
        self.takeovers.deny(request)
        log.warning("seat %s: the host refused another phone", request.code)
        self.console()
        return {}

    # --- the contestant list (an HTTP upload, quiz/live/tournament_views.py) ------------------

    def import_contestants(self, names: ContestantList) -> dict[str, Any]:
        """Register the listed names as contestants of the current event (a name already
        registered is kept, not added twice); the ids come back in list order."""
        with self.lock, self.sessions.begin() as session:
            existing = {
                c.name.casefold(): c
                for c in session.scalars(
                    select(Contestant)
                    .where(Contestant.event_id == self.matches.event["id"])
                    .order_by(Contestant.id)
                )
            }
            added, kept, ids = [], [], []
            for _row, name in names.names:
                found = existing.get(name.casefold())
                if found is None:
                    found = Contestant(event_id=self.matches.event["id"], name=name)
                    session.add(found)
                    session.flush()
                    existing[name.casefold()] = found
                    added.append({"id": found.id, "name": found.name})
                else:
                    kept.append({"id": found.id, "name": found.name})
                ids.append(found.id)
        self.console()
        return {"added": added, "existing": kept, "contestants": ids, "notes": names.notes}

    # --- the host token --------------------------------------------------------------------

    def rotate_token(self, call: Call) -> dict[str, Any]:
        """A fresh host token; every other host session is cut off and must use the new one.

        The ack to the sender is the one message that ever carries a token."""
        validate_args(NoArgs, call.cmd.args)
        sender = call.client.sid
        with self.lock:
            token = self.host.rotate()
            cut = self.connections.cut_off(
                lambda c: c.role == "host" and c.sid != sender,
                "token_rotated",
                "the host token was changed: open the new host link",
            )
        log.warning("host token rotated by %s; %d other host session(s) cut off", sender, cut)
        return {"token": token, "host_url": f"{self.public_url}/host?token={token}"}


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
