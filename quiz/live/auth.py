"""The host token in force: the one place it is kept and compared.

Every host check (socket connect, the contestant-list upload, the report pages) goes through
:meth:`HostToken.is_host`, a constant-time comparison; the token itself never leaves this
object except as the answer to the host who rotated it.
"""

from __future__ import annotations

import hmac
import secrets


class HostToken:
    """The token that makes a socket or request the host's; rotated from the host console."""

    def __init__(self, token: str) -> None:
        self._token = token.encode()

    def is_host(self, token: str | None) -> bool:
        """True if ``token`` is the one in force (constant-time: no timing leak)."""
        return bool(token) and hmac.compare_digest((token or "").encode(), self._token)

    def encoded(self) -> bytes:
        """The token in force, for a reader that compares it itself (to be replaced by
        :meth:`is_host` there)."""
        return self._token

    def rotate(self) -> str:
        """A fresh token; the old one stops working at once."""
        token = secrets.token_urlsafe(24)
        self._token = token.encode()
        return token
