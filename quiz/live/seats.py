"""Admitting a contestant phone by its seat code.

A seat code binds one phone to one side of one match. A phone presenting a code held by
another phone is refused and the host is asked to move the seat (quiz/live/takeover.py):
never two buzzers for one side, never a silent swap. An admitted phone's device is bound to
its side in the engine, through the same ``apply`` as every command.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from quiz.engine import Side
from quiz.engine import commands as C
from quiz.live.concurrency import Lock
from quiz.live.connections import Client
from quiz.live.matches import MatchRegistry
from quiz.live.play import Apply
from quiz.live.protocol import Auth, ProtocolError
from quiz.live.takeover import Takeovers
from quiz.models.live import SEAT_CODE_RE, Seat


class SeatDoor:
    """Turns a phone's seat code into a :class:`Client`, or refuses it. ``lock`` is the hub's;
    ``console`` refreshes the host console (a takeover request to show)."""

    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        lock: Lock,
        matches: MatchRegistry,
        takeovers: Takeovers,
        clock: Callable[[], int],
        apply: Apply,
        console: Callable[[], None],
    ) -> None:
        self.sessions = sessions
        self.lock = lock
        self.matches = matches
        self.takeovers = takeovers
        self.clock = clock
        self.apply = apply
        self.console = console

    def admit(self, sid: str, auth: Auth) -> Client:
        """The contestant client for ``auth.seat``; raises :class:`ProtocolError`."""
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
                name=(seat.match.red if seat.side == "red" else seat.match.blue).name,
            )
        if refusal is not None:
            if asked:
                self.console()
            raise refusal
        side = Side(client.side or "")
        service = self.matches.services.get(client.match_id or -1)
        if service is not None and service.engine.state.side_of(auth.device) is not side:
            self.apply(service, C.BindDevice(side, auth.device), self.clock(), None)
        return client

    def _ask_takeover(self, seat: Seat, device: str) -> tuple[ProtocolError, bool]:
        """The refusal for a phone presenting a seat held by another one, and whether the
        host console has a new request to show."""
        verdict, new = self.takeovers.ask(seat.match_id, seat.side, seat.code, device, self.clock())
        if verdict == "denied":
            return ProtocolError("seat_taken", "the host kept this seat on another phone"), False
        message = (
            "this seat is used by another phone; the host has been asked to move it to this "
            "one: retry in a few seconds"
        )
        return ProtocolError("takeover_pending", message), new
