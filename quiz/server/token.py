"""The host token: kept in the data folder so that a restart does not lock the host out.

``quiz serve`` reads it (or creates one with :func:`secrets.token_urlsafe` on the first start),
prints it again with the host URL at every start, and writes a fresh one on ``--new-token``. The
console's rotate command saves its new token through the same :class:`TokenStore`
(``app.extensions["quiz.token_store"]``). The file is written atomically with mode 0600: it is
the one secret on the laptop.
"""

from __future__ import annotations

import math
import os
import secrets
import string
import tempfile
from pathlib import Path

#: Bits a host token must carry at least (a guessed token is a hijacked event).
MIN_BITS = 128
_HEX = frozenset(string.hexdigits.lower())
_URLSAFE = frozenset(string.ascii_letters + string.digits + "-_")


class WeakToken(ValueError):
    """A token given by hand that is too short or too simple to be secret."""


def new_token() -> str:
    return secrets.token_urlsafe(24)  # 192 bits


def token_bits(token: str) -> float:
    """An upper bound on a token's entropy from its length and the alphabet it draws from: a
    random hex string carries 4 bits a character, a URL-safe base64 one 6, anything else 6.5 (the
    printable ASCII range). A token of fewer than 8 distinct characters (``aaaa…``, ``abab…``)
    is no random draw from such an alphabet: it counts log2(distinct) bits a character."""
    distinct = len(set(token))
    if set(token) <= _HEX or set(token) <= set(string.hexdigits.upper()):
        per_char = 4.0
    elif set(token) <= _URLSAFE:
        per_char = 6.0
    else:
        per_char = math.log2(95)
    if distinct < 8:
        per_char = math.log2(distinct) if distinct > 1 else 0.0
    return per_char * len(token)


def check_token(token: str) -> str:
    """``token`` if it is strong enough for a host token, else :class:`WeakToken`."""
    if not token or any(c.isspace() or not c.isprintable() for c in token):
        raise WeakToken(
            "主持人口令不能为空或含空白字符 / the host token must not be empty or contain spaces"
        )
    bits = token_bits(token)
    if bits < MIN_BITS:
        raise WeakToken(
            f"主持人口令太短或太简单（约 {bits:.0f} 位，至少需要 {MIN_BITS} 位），"
            f"可省略 --token 自动生成 / the host token is too short or too simple "
            f"(about {bits:.0f} bits, at least {MIN_BITS} needed, e.g. 32 hex or 22 "
            f"URL-safe random characters): leave out --token to get one"
        )
    return token


class TokenStore:
    """The host token's file; ``path=None`` keeps it in memory only (tests, a fixed token)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    def load(self) -> str | None:
        """The saved token, or None when there is none (or it is unreadable or empty)."""
        if self.path is None:
            return None
        try:
            token = self.path.read_text(encoding="utf-8").strip()
        except (FileNotFoundError, UnicodeDecodeError):
            return None
        return token or None

    def save(self, token: str) -> None:
        """Replace the saved token (atomically; ``mkstemp`` makes the file owner-only)."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".host-token-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(token + "\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        os.chmod(self.path, 0o600)

    def resolve(self, given: str | None = None, renew: bool = False) -> tuple[str, str]:
        """The token to serve with, and how it was chosen: ``given`` (checked, then saved),
        a fresh one (``renew`` or none saved yet, saved) or the saved one."""
        if given is not None:
            token = check_token(given)
            self.save(token)
            return token, "given"
        saved = None if renew else self.load()
        if saved is not None:
            return saved, "kept"
        token = new_token()
        self.save(token)
        return token, "new"
