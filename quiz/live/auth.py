"""The host token in force: the one place it is kept and compared.

Every host check (socket connect, the contestant-list upload, the report pages) goes through
:meth:`HostToken.is_host`, a constant-time comparison; the token itself never leaves this
object except as the answer to the host who rotated it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable

from quiz.live.addresses import is_loopback


class HostToken:
    """The token that makes a socket or request the host's; rotated from the host console."""

    def __init__(
        self, token: str, saved: Callable[[str], None] | None = None, remote: bool = False
    ) -> None:
        self._token = token.encode()
        self.remote = remote  # quiz serve --remote-host (over HTTPS only)
        # Where a rotated token is kept, so that it survives a restart (quiz/server/token.py).
        self._save = saved

    def is_host(self, token: str | None) -> bool:
        """True if ``token`` is the one in force (constant-time: no timing leak)."""
        return bool(token) and hmac.compare_digest((token or "").encode(), self._token)

    def allowed_from(self, address: str | None) -> bool:
        """May the host role be used from ``address``? Only from the server's own machine,
        unless the server was started to allow a remote console (over HTTPS)."""
        return self.remote or is_loopback(address)

    def signing_key(self, purpose: str) -> bytes:
        """A key derived from the token in force, for signing what only the host may hold
        (the report cookie): rotating the token revokes everything signed with it."""
        return hmac.new(self._token, purpose.encode(), hashlib.sha256).digest()

    def rotate(self) -> str:
        """A fresh token, saved before it is used; the old one stops working at once."""
        token = secrets.token_urlsafe(24)
        if self._save is not None:
            self._save(token)
        self._token = token.encode()
        return token
