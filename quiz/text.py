"""Cleaning of text typed by people: contestant, team and event names, audience nicknames,
prize names. Shared by ``quiz.models`` (and the live server) and the pure ``quiz.audience``
and ``quiz.tournament`` packages, so it belongs to neither: stdlib only, no I/O.

A name is shown on the LED wall in front of an audience, so anything that can hide, reorder
or fake text goes: control and format characters (this includes the bidi overrides U+202A-E
and U+2066-9 and zero-width characters), surrogates, private-use and unassigned code points.
Any run of whitespace becomes one space. Escaping for HTML is the renderer's job, not ours.
"""

from __future__ import annotations

import unicodedata

#: Categories that are removed outright (see the module docstring).
_DROPPED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
#: Input longer than this is refused before any work, whatever it would clean down to.
RAW_LIMIT = 1_000


class InvalidText(ValueError):
    """Text that cannot be used; nothing is changed. ``code`` is ``not_text``, ``empty`` or
    ``too_long`` (with the ``limit``); the message is a predicate ("must not be empty") that
    callers prefix with what was being cleaned ("the name must not be empty")."""

    def __init__(self, code: str, message: str, limit: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.limit = limit


def clean_text(raw: object, max_len: int) -> str:
    """The cleaned text, NFC-normalised, at most ``max_len`` code points; else ``InvalidText``.

    A bad name is refused with a clear reason instead of being silently cut."""
    if not isinstance(raw, str):
        raise InvalidText("not_text", "must be a string")
    if len(raw) > RAW_LIMIT:
        raise InvalidText("too_long", f"must be at most {max_len} characters", max_len)
    kept: list[str] = []
    for ch in unicodedata.normalize("NFC", raw):
        if ch.isspace():
            kept.append(" ")
        elif unicodedata.category(ch) not in _DROPPED:
            kept.append(ch)
    # Removing a character can bring a base and a combining mark together: normalise again.
    text = unicodedata.normalize("NFC", " ".join("".join(kept).split()))
    if not text:
        raise InvalidText("empty", "must not be empty")
    if len(text) > max_len:
        raise InvalidText("too_long", f"must be at most {max_len} characters", max_len)
    return text
