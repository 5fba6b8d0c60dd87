"""Admitting a contestant phone by its seat code.

A seat code binds one phone to one side of one match. A phone presenting a code held by
another phone is refused and the host is asked to move the seat (quiz/live/takeover.py):
never two buzzers for one side, never a silent swap. An admitted phone's device is bound to
its side in the engine, through the same ``apply`` as every command.

Codes cannot be guessed at leisure: after a few wrong codes a transport connection and an
address are locked out with a back-off that doubles (``quiz.server.bounded.Lockout``). The
lockout is checked before the database is asked and outside the hub's lock, so a locked-out
guess costs a dictionary lookup. A seat is valid only while its match is pending or live; a
finished or aborted match's seats are refused, except that the phone a finished match's seat is
bound to may come back to it (a reload after the end) to see its result, without acting.
Refusals are logged once per kind and episode (``quiz.server.limits.LogThrottle``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from quiz.engine import Side
from quiz.engine import commands as C
from quiz.live.concurrency import Lock, make_lock
from quiz.live.connections import Client
from quiz.live.matches import MatchRegistry
from quiz.live.play import Apply
from quiz.live.protocol import Auth, ProtocolError
from quiz.live.takeover import Takeovers
from quiz.models.live import SEAT_CODE_RE, Seat
from quiz.server.bounded import Lockout
from quiz.server.limits import LogThrottle

log = logging.getLogger(__name__)

#: A seat is valid only while its match is about to be played or being played.
SEATED_STATUSES = ("pending", "live")
#: Wrong codes: three free per connection, ten per address (phones of one venue behind one
#: NAT mistype too), then 1 s, 2 s, 4 s... up to a minute.
CONNECTION_FREE = 3
ADDRESS_FREE = 10


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
        async_mode: str = "threading",
    ) -> None:
        self.sessions = sessions
        self.lock = lock
        self.matches = matches
        self.takeovers = takeovers
        self.clock = clock
        self.apply = apply
        self.console = console
        self.by_connection: Lockout[str] = Lockout(free=CONNECTION_FREE)
        self.by_address: Lockout[str] = Lockout(free=ADDRESS_FREE)
        self._strikes_lock = make_lock(async_mode)  # not the hub's: no waiting behind matches
        self.log = LogThrottle(log)
        self.lookups = 0  # seat codes looked up in the database (the lockout keeps it low)

    def admit(self, sid: str, auth: Auth, address: str = "") -> Client:
        """The contestant client for ``auth.seat``; raises :class:`ProtocolError`.
        ``address``: the connecting address's label ("" for an exempt one)."""
        assert auth.device is not None  # parse_auth requires it of phones
        keys = [(self.by_connection, auth.connection or sid)]
        if address:
            keys.append((self.by_address, address))
        now = self.clock() / 1000
        with self._strikes_lock:
            wait = max(lockout.retry_after(key, now) for lockout, key in keys)
        if wait > 0:
            self.log.warning("seat_locked", "seat guesses locked out (%s)", address or "local")
            raise ProtocolError("seat_locked", f"too many wrong seat codes: retry in {wait:.0f} s")
        try:
            client, refusal, asked = self._look_up(sid, auth)
        except ProtocolError as exc:
            with self._strikes_lock:
                for lockout, key in keys:
                    lockout.failed(key, now)
            self.log.warning(exc.code, "refused seat code (%s): %s", address or "local", exc.code)
            raise
        with self._strikes_lock:
            keys[0][0].succeeded(keys[0][1])
        if refusal is not None:
            if asked:
                self.console()
            raise refusal
        side = Side(client.side or "")
        service = self.matches.services.get(client.match_id or -1)
        if client.result is not None or service is None:
            return client  # a finished match's phone is shown its result, never bound again
        if service.engine.state.side_of(auth.device) is not side:
            self.apply(service, C.BindDevice(side, auth.device), self.clock(), None)
        return client

    def _look_up(self, sid: str, auth: Auth) -> tuple[Client, ProtocolError | None, bool]:
        """The seat's client, and the refusal (with whether the host has a new takeover request
        to see) if another phone holds it; raises for a code that is not a valid seat."""
        assert auth.device is not None
        code = auth.seat or ""
        if not SEAT_CODE_RE.match(code):
            raise ProtocolError("unknown_seat", "this seat code does not exist")
        refusal: ProtocolError | None = None
        asked = False
        self.lookups += 1
        with self.lock, self.sessions.begin() as session:
            seat = session.scalars(select(Seat).where(Seat.code == code)).first()
            finished = seat is not None and not seat.revoked and seat.match.status == "finished"
            result = _own_result(seat, auth.device) if finished and seat is not None else None
            if result is not None:
                pass  # its own phone, back after the end: it sees the result and acts no more
            elif seat is None or seat.revoked or seat.match.status not in SEATED_STATUSES:
                raise ProtocolError("unknown_seat", "this seat code is not valid (any more)")
            elif seat.device_id is not None and seat.device_id != auth.device:
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
                result=result,
            )
        return client, refusal, asked

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


def _own_result(seat: Seat, device: str) -> dict[str, Any] | None:
    """The result of the finished match of ``seat`` for the phone bound to it, else None (a
    finished match's seat admits no other phone)."""
    outcome = seat.match.outcome
    if seat.device_id != device or not outcome:
        return None
    return {
        "winner": outcome.get("winner"),
        "games": outcome.get("games") or {"red": 0, "blue": 0},
        "names": {"red": seat.match.red.name, "blue": seat.match.blue.name},
    }
