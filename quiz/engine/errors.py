"""The one exception the engine raises: an illegal host command."""

from __future__ import annotations


class IllegalCommand(Exception):
    """A host command that the rules do not allow now. The match is left unchanged.

    ``code`` is a stable machine-readable reason (used by the transport and the UI's message
    catalog); ``message`` is an English explanation for logs and developers.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
