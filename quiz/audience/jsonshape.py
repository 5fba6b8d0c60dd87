"""Strict reading of our own persisted JSON back into typed values. Shared with
``quiz.tournament``.

Persisted state is reloaded after a restart, possibly from a file someone edited, so a wrong
shape is a ``ValueError`` naming the offending path, never a guess or a silent default.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from enum import StrEnum
from typing import Any, TypeVar

E = TypeVar("E", bound=StrEnum)


class Shape:
    """A JSON object that must have exactly the ``required`` keys plus any of ``optional``."""

    def __init__(
        self, data: object, where: str, required: Iterable[str], optional: Iterable[str] = ()
    ) -> None:
        if not isinstance(data, dict):
            raise ValueError(f"{where} must be an object")
        required = set(required)
        missing = sorted(required - set(data))
        unknown = sorted(set(data) - required - set(optional), key=str)
        if missing:
            raise ValueError(f"{where} lacks {', '.join(missing)}")
        if unknown:
            raise ValueError(f"{where} has unknown key(s) {', '.join(map(str, unknown))}")
        self.data: dict[str, Any] = data
        self.where = where

    def at(self, key: str) -> str:
        return f"{self.where}.{key}"

    def raw(self, key: str, default: object = None) -> object:
        return self.data.get(key, default)

    def text(self, key: str, max_len: int = 200, *, empty: bool = False) -> str:
        value = self.data.get(key)
        if not isinstance(value, str) or len(value) > max_len or (not empty and not value):
            size = "a" if empty else "a non-empty"
            raise ValueError(f"{self.at(key)} must be {size} string of at most {max_len} chars")
        return value

    def opt_text(self, key: str, max_len: int = 200) -> str | None:
        return None if self.data.get(key) is None else self.text(key, max_len)

    def integer(self, key: str, lo: int, hi: int) -> int:
        return checked_int(self.data.get(key), self.at(key), lo, hi)

    def opt_integer(self, key: str, lo: int, hi: int) -> int | None:
        return None if self.data.get(key) is None else self.integer(key, lo, hi)

    def flag(self, key: str) -> bool:
        value = self.data.get(key)
        if type(value) is not bool:
            raise ValueError(f"{self.at(key)} must be true or false")
        return value

    def array(self, key: str, max_items: int = 100_000) -> list[Any]:
        value = self.data.get(key)
        if not isinstance(value, list) or len(value) > max_items:
            raise ValueError(f"{self.at(key)} must be a list of at most {max_items} items")
        return value

    def obj(self, key: str) -> dict[str, Any]:
        value = self.data.get(key)
        if not isinstance(value, dict):
            raise ValueError(f"{self.at(key)} must be an object")
        return value

    def items(self, key: str, max_items: int = 100_000) -> Iterator[tuple[str, Any]]:
        """``(where, item)`` for each item of a list, ``where`` naming it in errors."""
        for i, item in enumerate(self.array(key, max_items)):
            yield f"{self.at(key)}[{i}]", item


def checked_int(value: object, where: str, lo: int, hi: int) -> int:
    # bool is an int subclass; ``true`` is not a count.
    if type(value) is not int or not lo <= value <= hi:
        raise ValueError(f"{where} must be an integer from {lo} to {hi}")
    return value


def checked_str(value: object, where: str, max_len: int = 200) -> str:
    if not isinstance(value, str) or not value or len(value) > max_len:
        raise ValueError(f"{where} must be a non-empty string of at most {max_len} chars")
    return value


def checked_enum(cls: type[E], value: object, where: str) -> E:
    if isinstance(value, str) and value in cls._value2member_map_:
        return cls(value)
    raise ValueError(f"{where} must be one of {', '.join(m.value for m in cls)}")


def version(data: object, where: str, expected: int) -> None:
    """Refuse data written by another format version instead of misreading it."""
    found = data.get("v") if isinstance(data, dict) else None
    if found != expected:
        raise ValueError(f"{where}: unsupported format version {found!r} (expected {expected})")
