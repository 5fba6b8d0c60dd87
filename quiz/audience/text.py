"""Cleaning of display names typed by people: audience nicknames, contestant and team names,
prize names. Shared with ``quiz.tournament``.

A name is shown on the LED wall in front of an audience, so anything that can hide, reorder
or fake text goes: control and format characters (this includes the bidi overrides U+202A-E
and U+2066-9 and zero-width characters), surrogates, private-use and unassigned code points.
Any run of whitespace becomes one space. Escaping for HTML is the renderer's job, not ours.
"""

from __future__ import annotations

import unicodedata

from quiz.audience.errors import AudienceError

#: Categories that are removed outright (see the module docstring).
_DROPPED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
#: Input longer than this is refused before any work, whatever it would clean down to.
_RAW_LIMIT = 1_000


class InvalidName(AudienceError):
    """A name that cannot be used: ``code`` is ``not_text``, ``empty``, ``too_long`` (with the
    ``limit``) or ``taken``."""

    def __init__(self, code: str, message: str, limit: int | None = None) -> None:
        super().__init__(code, message)
        self.limit = limit


def clean_name(raw: object, max_len: int) -> str:
    """The cleaned name, NFC-normalised, at most ``max_len`` code points; else ``InvalidName``."""
    if not isinstance(raw, str):
        raise InvalidName("not_text", "a name must be text")
    if len(raw) > _RAW_LIMIT:
        raise InvalidName("too_long", f"a name may have at most {max_len} characters", max_len)
    kept: list[str] = []
    for ch in unicodedata.normalize("NFC", raw):
        if ch.isspace():
            kept.append(" ")
        elif unicodedata.category(ch) not in _DROPPED:
            kept.append(ch)
    # Removing a character can bring a base and a combining mark together: normalise again.
    text = unicodedata.normalize("NFC", " ".join("".join(kept).split()))
    if not text:
        raise InvalidName("empty", "a name must contain at least one visible character")
    if len(text) > max_len:
        raise InvalidName("too_long", f"a name may have at most {max_len} characters", max_len)
    return text
