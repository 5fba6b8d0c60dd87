"""The audience package's exception, and the check every phone id goes through."""

from __future__ import annotations


class AudienceError(ValueError):
    """An audience action that is refused; nothing is changed.

    ``code`` is stable and machine-readable (for the UI's message catalog); ``message`` is an
    English explanation for logs and developers.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


PHONE_MAX = 64


def check_phone(phone: object, where: str = "a phone id") -> str:
    """A phone id: the opaque device token, 1-64 printable characters without spaces.

    Draw records hash the sorted ids joined by newlines, so whitespace is never allowed."""
    if (
        not isinstance(phone, str)
        or not 0 < len(phone) <= PHONE_MAX
        or not phone.isprintable()
        or any(ch.isspace() for ch in phone)
    ):
        raise AudienceError("bad_phone", f"{where} must be 1 to {PHONE_MAX} visible characters")
    return phone
