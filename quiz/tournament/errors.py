"""The one exception the tournament raises for a host action it refuses."""

from __future__ import annotations


class TournamentError(ValueError):
    """A host action the tournament refuses; the tournament is left unchanged.

    ``code`` is stable and machine-readable (for the UI's message catalog); ``message`` is an
    English explanation for logs and developers.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
