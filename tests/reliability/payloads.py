"""Hypothesis strategies for hostile Socket.IO traffic, shared by the fuzz test (in-process,
Flask-SocketIO test client) and ``bench/fuzz.py`` (a live server over real sockets).

A *shot* is ``(event, payload)``: ``payload`` is either a Python value (sent through the
client's own encoder: wrong types, unknown fields, huge strings, binary, shallow nesting) or
a :class:`Raw` text that becomes the packet's JSON as is (nesting deeper than any JSON encoder
will write, malformed JSON). Commands are drawn for every command type of the protocol, with
the argument names the protocol knows and values of every JSON type.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from quiz.engine.serde import COMMAND_TYPES
from quiz.live.routes import ROUTES

#: Every command type of the protocol, plus near misses.
COMMAND_NAMES = [*sorted(ROUTES), "tick", "bind_device", "Buzz", "buzz ", ""]
#: Argument names the server knows somewhere (so that validation, not just the envelope, runs).
ARG_NAMES = sorted(
    {name for r in ROUTES.values() if r.model for name in r.model.model_fields}
    | {f.name for cls in COMMAND_TYPES.values() for f in dataclasses.fields(cls)}
    | {"press_at", "choices", "name", "round", "seq", "member", "approve", "screen", "v"}
)
EVENTS = ("command", "sync")
#: Event names a client should never use, or that python-socketio treats specially.
ODD_EVENTS = ("connect", "disconnect", "message", "json", "*", "state", "console", "notice")
#: Error codes a refused shot may carry; ``internal`` (a server bug) is not among them.
ERROR_CODES = frozenset(
    {
        "invalid",
        "too_large",
        "unknown_command",
        "unknown_event",
        "forbidden",
        "stale",
        "rate_limited",
        "no_match",
        "not_found",
        "conflict",
        "bank_empty",
    }
)
#: Deep enough to make any recursive decoder give up; 2 bytes a level stays under 64 KiB.
MAX_DEPTH = 30_000


@dataclass(frozen=True)
class Raw:
    """JSON text sent as the packet's payload without re-encoding."""

    text: str

    def __repr__(self) -> str:  # keep hypothesis' failure reports readable
        return f"Raw({self.text[:60]!r}... {len(self.text)} chars)"


def _nested(depth: int, kind: str) -> Raw:
    opener, closer = ("[", "]") if kind == "list" else ('{"a":', "}")
    return Raw(f'{{"id":"deep","type":"buzz","x":{opener * depth}1{closer * depth}}}')


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.text(st.characters(codec="utf-8", categories=("Cc", "Cf", "Zs", "So", "Lo")), max_size=20),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=25,
)
good_ids = st.text(st.characters(codec="ascii", categories=("L", "N")), min_size=1, max_size=64)
huge_text = st.one_of(
    st.integers(1_000, 60_000).map(lambda n: "x" * n),
    st.integers(300, 18_000).map(lambda n: "长" * n),  # 3 bytes each in UTF-8
)


@st.composite
def commands(draw: st.DrawFn) -> dict[str, Any]:
    """A command envelope of any type with arguments the protocol knows, badly filled."""
    # Mostly a well-formed envelope, so that the checks behind it run too.
    sloppy = draw(st.integers(0, 9)) == 0
    payload: dict[str, Any] = {
        "id": draw(values if sloppy else good_ids),
        "type": draw(values if sloppy else st.sampled_from(COMMAND_NAMES)),
    }
    for name in draw(st.lists(st.sampled_from(ARG_NAMES), max_size=4, unique=True)):
        payload[name] = draw(values | huge_text) if draw(st.integers(0, 9)) == 0 else draw(values)
    if draw(st.booleans()):
        payload["seq"] = draw(st.integers(-5, 60) | values)
    if draw(st.integers(0, 9)) == 0:
        del payload[draw(st.sampled_from(["id", "type"]))]
    return payload


syncs = st.one_of(
    st.fixed_dictionaries({"t0": values}, optional={"rtt": values, "extra": values}),
    st.fixed_dictionaries({"t0": st.floats(allow_nan=True)}, optional={"rtt": st.floats()}),
)
raws = st.one_of(
    st.builds(_nested, st.integers(900, MAX_DEPTH), st.sampled_from(["list", "dict"])),
    st.sampled_from(['{"id":"x",', "[[[", '{"id":"x","type":"buzz"', "nul\u0000", "NaN", "-"]).map(
        Raw
    ),
    st.text(max_size=30).map(lambda t: Raw("{" + t)),
)
payloads = st.one_of(
    values, commands(), syncs, st.binary(max_size=200), huge_text, raws, st.just(None)
)


@st.composite
def shots(draw: st.DrawFn) -> tuple[str, Any]:
    """What one client sends at once: an event name and its payload."""
    kind = draw(st.integers(0, 9))
    if kind < 5:
        return "command", draw(commands() | payloads)
    if kind < 7:
        return "sync", draw(syncs | payloads)
    if kind < 8:
        return draw(st.sampled_from(ODD_EVENTS)), draw(payloads)
    name = draw(st.text(min_size=1, max_size=30).filter(lambda n: n not in EVENTS))
    return name, draw(payloads)


def encode_event(ack_id: int, event: str, payload: Any) -> str | None:
    """The Socket.IO EVENT packet (type 2, with an ack id) for a :class:`Raw` payload, or
    None for a Python value (the client's own encoder sends those)."""
    if not isinstance(payload, Raw):
        return None
    return f"2{ack_id}[{json.dumps(event)},{payload.text}]"


def refusal_ok(ack: Any) -> str | None:
    """What is wrong with an ack to a refused shot, or None if it is a clear error."""
    if not isinstance(ack, dict):
        return f"not an object: {str(ack)[:100]}"
    if ack.get("ok") is True:
        return None
    error = ack.get("error")
    if not isinstance(error, dict):
        return f"no error object: {str(ack)[:100]}"
    if error.get("code") not in ERROR_CODES and not _engine_code(error.get("code")):
        return f"unexpected code {error.get('code')!r}"
    if not isinstance(error.get("message"), str) or not error["message"]:
        return "no message"
    return None


def _engine_code(code: Any) -> bool:
    # Engine codes (IllegalCommand.code) are passed through: short snake_case words.
    return (
        isinstance(code, str)
        and code != "internal"
        and 0 < len(code) <= 40
        and code.replace("_", "").isalpha()
        and code.islower()
    )


__all__ = [
    "COMMAND_NAMES",
    "ERROR_CODES",
    "Raw",
    "commands",
    "encode_event",
    "payloads",
    "refusal_ok",
    "shots",
]
