"""JSON forms of commands and events, strict in what they accept.

``command_from_dict`` is where untrusted payloads become commands (for the transport and for
replaying the persisted log), so it rejects unknown types, unknown or missing fields and wrong
value types with ``ValueError`` instead of guessing.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import MISSING, fields, is_dataclass
from enum import StrEnum
from typing import Any

from quiz.engine import commands as C
from quiz.engine import events as E
from quiz.engine.rules import Side

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
_MAX_STR = 200
_MAX_ITEMS = 26


def type_name(cls: type) -> str:
    """``ShowQuestion`` -> ``show_question``."""
    return _CAMEL.sub("_", cls.__name__).lower()


COMMAND_TYPES: dict[str, type[C.Command]] = {type_name(c): c for c in C.ALL_COMMANDS}
EVENT_TYPES: dict[str, type[E.Event]] = {
    type_name(c): c
    for c in vars(E).values()
    if isinstance(c, type) and issubclass(c, E.Event) and c is not E.Event
}


def _plain(value: Any) -> Any:
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _to_dict(obj: Any) -> dict[str, Any]:
    assert is_dataclass(obj)
    out: dict[str, Any] = {"type": type_name(type(obj))}
    for f in fields(obj):
        out[f.name] = _plain(getattr(obj, f.name))
    return out


def command_to_dict(command: C.Command) -> dict[str, Any]:
    return _to_dict(command)


def event_to_dict(event: E.Event) -> dict[str, Any]:
    return _to_dict(event)


def _coerce(name: str, hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        args = typing.get_args(hint)
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(name, inner[0], value)
    if origin is tuple:
        (item, _ellipsis) = typing.get_args(hint)
        if not isinstance(value, list | tuple) or len(value) > _MAX_ITEMS:
            raise ValueError(f"{name} must be a list of at most {_MAX_ITEMS} items")
        return tuple(_coerce(name, item, v) for v in value)
    if hint is bool:
        if type(value) is not bool:
            raise ValueError(f"{name} must be true or false")
        return value
    if hint is int:
        if type(value) is not int or abs(value) > 2**53:
            raise ValueError(f"{name} must be an integer")
        return value
    if hint is str:
        if not isinstance(value, str) or len(value) > _MAX_STR:
            raise ValueError(f"{name} must be a string of at most {_MAX_STR} characters")
        return value
    if hint is Side:
        try:
            return Side(value)
        except ValueError:
            raise ValueError(f"{name} must be 'red' or 'blue'") from None
    raise TypeError(f"cannot decode field {name} of type {hint!r}")  # pragma: no cover


def _from_dict(registry: dict[str, type[Any]], data: Any, what: str) -> Any:
    if not isinstance(data, dict):
        raise ValueError(f"a {what} must be an object")
    kind = data.get("type")
    if not isinstance(kind, str) or kind not in registry:
        raise ValueError(f"unknown {what} type: {str(kind)[:40]!r}")
    cls = registry[kind]
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known - {"type"})
    if unknown:
        raise ValueError(f"unknown field(s) for {kind}: {', '.join(map(str, unknown))[:80]}")
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name in data:
            kwargs[f.name] = _coerce(f.name, hints[f.name], data[f.name])
        elif f.default is MISSING:
            raise ValueError(f"{kind} needs the field {f.name}")
    return cls(**kwargs)


def command_from_dict(data: Any) -> C.Command:
    """Decode a command; raises ``ValueError`` with a readable message on any bad input."""
    command: C.Command = _from_dict(COMMAND_TYPES, data, "command")
    return command


def event_from_dict(data: Any) -> E.Event:
    event: E.Event = _from_dict(EVENT_TYPES, data, "event")
    return event
