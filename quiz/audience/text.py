"""Display names in the audience domain: nicknames and prize names (also used by
``quiz.tournament`` for team names). The cleaning itself is ``quiz.text.clean_text``, shared
with the models; this module only turns its refusal into the audience package's error, so the
UI's message catalog sees the same ``code`` everywhere.
"""

from __future__ import annotations

from quiz.audience.errors import AudienceError
from quiz.text import InvalidText, clean_text


class InvalidName(AudienceError):
    """A name that cannot be used: ``code`` is ``not_text``, ``empty``, ``too_long`` (with the
    ``limit``) or ``taken``."""

    def __init__(self, code: str, message: str, limit: int | None = None) -> None:
        super().__init__(code, message)
        self.limit = limit


def clean_name(raw: object, max_len: int) -> str:
    """The cleaned name, NFC-normalised, at most ``max_len`` code points; else ``InvalidName``."""
    try:
        return clean_text(raw, max_len)
    except InvalidText as exc:
        raise InvalidName(exc.code, f"a name {exc.message}", exc.limit) from None
