"""Validation of everything a client sends (docs/protocol.md, version 1).

Untrusted payloads become typed values here or raise :class:`ProtocolError`, whose ``code``
is one of the documented error codes. Nothing downstream ever sees a raw client dict.
"""

from __future__ import annotations

import json
import re
from collections.abc import Container
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr
from pydantic import ValidationError as PydanticValidationError

from quiz.models.live import DEVICE_MAX, SEAT_CODE_LENGTH

VERSION = 1
MAX_COMMAND_BYTES = 4096
ROLES = ("host", "display", "player")
LANGS = ("zh-CN", "en")
#: The key of ``auth`` the socket handler sets (address, connection); a client's own is replaced.
PEER = "_peer"
DEVICE_RE = re.compile(rf"^[A-Za-z0-9_-]{{8,{DEVICE_MAX}}}$")
SIDES = ("red", "blue")


class ProtocolError(Exception):
    """A refused message; ``code`` is a documented error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def ack(self) -> dict[str, Any]:
        return error_ack(self.code, self.message)


def error_ack(code: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message}}


def storage_unavailable(reason: str | None) -> dict[str, Any]:
    """The ack of a command refused because the database cannot be written (§5): nothing was
    applied; ``reason`` is ``read_only``, ``disk_full``, ``io_error`` or ``checkpoint_failed``."""
    ack = error_ack(
        "storage_unavailable",
        "the server cannot store data: free disk space, check the data folder's permissions, "
        "then restart the server",
    )
    ack["error"]["reason"] = reason
    return ack


def _first_error(exc: PydanticValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err.get("loc", ())) or "payload"
    return f"{where}: {err.get('msg', 'invalid')}"[:200]


# --- connect ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Auth:
    role: str
    device: str | None
    token: str | None
    seat: str | None
    lang: str
    address: str = ""  # where the socket came from (set by the server, never the client)
    connection: str = ""  # the transport connection (several connects may share one)


def parse_auth(raw: Any) -> Auth:
    """Check the ``auth`` object of a connect; raises ``ProtocolError('bad_auth', ...)``."""
    if not isinstance(raw, dict):
        raise ProtocolError("bad_auth", "auth must be an object")
    if raw.get("v") != VERSION:
        raise ProtocolError("bad_auth", f"protocol version must be {VERSION}")
    role = raw.get("role")
    if role not in ROLES:
        raise ProtocolError("bad_auth", f"role must be one of: {', '.join(ROLES)}")
    device = raw.get("device")
    if device is not None and (not isinstance(device, str) or not DEVICE_RE.match(device)):
        raise ProtocolError("bad_auth", "device must be 8-64 characters of A-Z a-z 0-9 _ -")
    if role == "player" and device is None:
        raise ProtocolError("bad_auth", "a phone must send its device id")
    token = raw.get("token")
    if token is not None and (not isinstance(token, str) or len(token) > 200):
        raise ProtocolError("bad_auth", "token must be a string")
    seat = raw.get("seat")
    if seat in ("", None):
        seat = None
    elif not isinstance(seat, str) or len(seat) > 2 * SEAT_CODE_LENGTH:
        raise ProtocolError("bad_auth", "seat must be a short code")
    else:
        # Typed codes may be grouped ("ABCD-EFGH"); the code itself has no separators.
        seat = seat.strip().upper().replace("-", "").replace(" ", "")
    lang = raw.get("lang", LANGS[0])
    if lang not in LANGS:
        lang = LANGS[0]
    event = raw.get("event")
    if event is not None and type(event) is not int:
        raise ProtocolError("bad_auth", "event must be an integer id")
    peer = raw.get(PEER)
    address = connection = ""
    if isinstance(peer, dict):
        address = str(peer.get("address") or "")
        connection = str(peer.get("connection") or "")
    return Auth(
        role=role,
        device=device,
        token=token,
        seat=seat,
        lang=lang,
        address=address,
        connection=connection,
    )


# --- commands --------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


Side = Literal["red", "blue"]
Id = Field(min_length=1, max_length=64)


class Envelope(BaseModel):
    """The fields every command has; the rest is checked per type."""

    model_config = ConfigDict(extra="allow", strict=True)
    id: StrictStr = Id
    type: StrictStr = Field(min_length=1, max_length=40)


class CreateEvent(_Strict):
    title: StrictStr = Field(max_length=200)
    lang: Literal["zh-CN", "en"] = "zh-CN"
    slogan: StrictStr | None = Field(default=None, max_length=200)


class AddContestant(_Strict):
    name: StrictStr = Field(max_length=200)


class CreateMatch(_Strict):
    red: StrictInt
    blue: StrictInt
    rules: dict[str, Any] | None = None
    filter: dict[str, Any] | None = None
    seed: StrictStr | None = Field(default=None, max_length=200)
    # Fair buzzing (docs/protocol.md §11): False ranks buzzes by plain arrival order.
    compensation: StrictBool = True


class IssueSeat(_Strict):
    match_id: StrictInt
    side: Side


class MatchRef(_Strict):
    match_id: StrictInt


class Takeover(_Strict):
    match_id: StrictInt
    side: Side
    device: StrictStr = Field(pattern=DEVICE_RE.pattern)


class NoArgs(_Strict):
    pass


# --- the tournament (§12) ----------------------------------------------------------------------

PairingId = Annotated[StrictStr, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9]+$")]
Games = Annotated[StrictInt, Field(ge=0, le=99)]
Violations = Annotated[StrictInt, Field(ge=0, le=999)]
ContestantPair = Annotated[list[StrictInt], Field(min_length=2, max_length=2)]


class CreateTournament(_Strict):
    format: Literal["single_elimination", "round_robin", "manual"]
    entrants: list[StrictInt] = Field(min_length=2, max_length=256)
    seed: StrictStr | None = Field(default=None, min_length=1, max_length=200)
    shuffle: StrictBool = False
    third_place: StrictBool = False
    pairings: list[ContestantPair] = Field(default_factory=list, max_length=128)
    rules: dict[str, Any] | None = None
    filter: dict[str, Any] | None = None
    replace: StrictBool = False


class AddPairing(_Strict):
    red: StrictInt
    blue: StrictInt
    round: StrictInt | None = Field(default=None, ge=1, le=999)


class StartNextMatch(_Strict):
    pairing: PairingId | None = None


class PairingRef(_Strict):
    pairing: PairingId


class CorrectResult(_Strict):
    pairing: PairingId
    winner: Side
    games: list[Games] = Field(min_length=2, max_length=2)
    violations: list[Violations] = Field(default_factory=lambda: [0, 0], min_length=2, max_length=2)
    forfeit: StrictBool = False


class ShowQuestion(_Strict):
    question_id: StrictStr | None = Field(default=None, min_length=1, max_length=100)


class Buzz(_Strict):
    press_at: StrictInt | None = None
    # The press on the phone's own clock (performance.now() ms), converted by the server.
    press_local: float | None = Field(default=None, allow_inf_nan=False, ge=-(2**53), le=2**53)


@dataclass(frozen=True)
class Command:
    """A validated client command: ``args`` excludes ``id``, ``type`` and ``seq``."""

    id: str
    type: str
    seq: int | None
    args: dict[str, Any]


def parse_command(raw: Any, known: Container[str]) -> Command:
    """Check a command's envelope; ``known``: the command types there are (quiz/live/routes.py)."""
    if not isinstance(raw, dict):
        raise ProtocolError("invalid", "a command must be an object")
    try:
        size = len(json.dumps(raw, ensure_ascii=False).encode())
    except (TypeError, ValueError, RecursionError):
        # RecursionError: nested thousands of levels deep, which no command is.
        raise ProtocolError("invalid", "a command must be plain JSON") from None
    if size > MAX_COMMAND_BYTES:
        raise ProtocolError("too_large", f"a command must be at most {MAX_COMMAND_BYTES} bytes")
    try:
        env = Envelope.model_validate(raw)
    except PydanticValidationError as exc:
        raise ProtocolError("invalid", _first_error(exc)) from None
    if env.type not in known:
        raise ProtocolError("unknown_command", f"unknown command type {env.type[:40]!r}")
    args = {k: v for k, v in raw.items() if k not in ("id", "type", "seq")}
    seq = raw.get("seq")
    if seq is not None and (type(seq) is not int or seq < 0):
        raise ProtocolError("invalid", "seq must be a non-negative integer")
    return Command(id=env.id, type=env.type, seq=seq, args=args)


def validate_args(model: type[BaseModel], args: dict[str, Any]) -> Any:
    try:
        return model.model_validate(args)
    except PydanticValidationError as exc:
        raise ProtocolError("invalid", _first_error(exc)) from None


def parse_choices(args: dict[str, Any]) -> tuple[str, ...]:
    if set(args) != {"choices"}:
        raise ProtocolError("invalid", "choice takes exactly one field: choices")
    choices = args["choices"]
    if (
        not isinstance(choices, list)
        or not 1 <= len(choices) <= 26
        or not all(isinstance(c, str) and len(c) == 1 and "A" <= c <= "Z" for c in choices)
        or len(set(choices)) != len(choices)
    ):
        raise ProtocolError("invalid", "choices must be a list of distinct letters A-Z")
    return tuple(choices)


def parse_buzz(args: dict[str, Any]) -> tuple[int | None, float | None]:
    """``(press_at, press_local)`` of a buzz (docs/protocol.md §11)."""
    buzz = validate_args(Buzz, args)
    return buzz.press_at, buzz.press_local


@dataclass(frozen=True)
class Sync:
    t0: float
    rtt: float | None
    prev: tuple[float, float] | None = None  # (t0, t3) of the phone's previous exchange


def parse_sync(raw: Any) -> Sync:
    if not isinstance(raw, dict):
        raise ProtocolError("invalid", "sync must be an object")
    t0 = raw.get("t0")
    if not isinstance(t0, int | float) or isinstance(t0, bool) or not abs(t0) <= 2**53:
        raise ProtocolError("invalid", "t0 must be a number (client ms)")
    rtt = raw.get("rtt")
    if rtt is not None and (
        not isinstance(rtt, int | float) or isinstance(rtt, bool) or not 0 <= rtt <= 60_000
    ):
        raise ProtocolError("invalid", "rtt must be a number of ms from 0 to 60000")
    prev = raw.get("prev")
    if prev is not None:
        times = [prev.get(k) for k in ("t0", "t3")] if isinstance(prev, dict) else []
        if len(times) != 2 or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and abs(v) <= 2**53
            for v in times
        ):
            raise ProtocolError("invalid", "prev must be {t0, t3}: numbers (client ms)")
        prev = (float(times[0]), float(times[1]))
    return Sync(t0=t0, rtt=rtt, prev=prev)


__all__ = [
    "VERSION",
    "Auth",
    "Command",
    "ProtocolError",
    "ShowQuestion",
    "Sync",
    "error_ack",
    "parse_auth",
    "parse_buzz",
    "parse_choices",
    "parse_command",
    "parse_sync",
    "validate_args",
]
