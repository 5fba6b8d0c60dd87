"""Audience nicknames: one generated per phone, unique in the event, and host-approved changes.

A phone without a seat code is an audience member. It gets a generated nickname such as
护网卫士-0427 (NetGuard-0427 in English: the same prefix and number in either language). It
may ask for another name; the LED keeps showing the generated one until the host approves the
request, while the phone itself shows what it asked for. Every name in use (both renderings of
each generated name, approved and pending requests) is unique, compared case-insensitively.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from typing import Any

from quiz.audience.errors import AudienceError, check_phone
from quiz.audience.jsonshape import Shape, checked_int, version
from quiz.audience.text import InvalidName, clean_name

NICKNAME_MAX = 16
#: (zh, en) prefixes; en ones are at most 11 letters so a generated name fits NICKNAME_MAX.
PREFIXES: tuple[tuple[str, str], ...] = (
    ("护网卫士", "NetGuard"),
    ("反诈达人", "ScamBuster"),
    ("清朗先锋", "NetPioneer"),
    ("辟谣能手", "RumorBuster"),
    ("隐私守护者", "PrivacyPal"),
    ("净网卫士", "WebWarden"),
    ("防骗高手", "ScamSpotter"),
    ("识谣侦探", "FactFinder"),
    ("网安达人", "CyberSavvy"),
    ("守法网民", "NetCitizen"),
)
NUMBERS = 10_000
CAPACITY = len(PREFIXES) * NUMBERS
#: Random picks before falling back to a scan; with the wall's few thousand phones a pick
#: almost never collides, so the scan only matters for a nearly full event.
_RANDOM_TRIES = 32
FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class Handle:
    """A generated nickname: a prefix from ``PREFIXES`` and a 4-digit number."""

    prefix: int
    number: int

    def render(self, lang: str = "zh") -> str:
        zh, en = PREFIXES[self.prefix]
        return f"{zh if lang.startswith('zh') else en}-{self.number:04d}"

    @property
    def code(self) -> int:
        return self.prefix * NUMBERS + self.number


class Nicknames:
    """The nicknames of one event. Not thread-safe: the caller serialises access."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng if rng is not None else secrets.SystemRandom()
        self._handles: dict[str, Handle] = {}
        self._used_codes: set[int] = set()
        self._approved: dict[str, str] = {}
        self._pending: dict[str, str] = {}
        self._owner: dict[str, str] = {}  # casefolded name in use -> phone

    def __len__(self) -> int:
        return len(self._handles)

    def issue(self, phone: str) -> Handle:
        """The phone's generated nickname, creating it on first sight."""
        check_phone(phone)
        handle = self._handles.get(phone)
        if handle is None:
            handle = self._fresh()
            self._handles[phone] = handle
            self._used_codes.add(handle.code)
            for lang in ("zh", "en"):
                self._owner[handle.render(lang).casefold()] = phone
        return handle

    def _fresh(self) -> Handle:
        if len(self._used_codes) >= CAPACITY:
            raise AudienceError("nicknames_exhausted", f"all {CAPACITY} nicknames are in use")
        start = self._rng.randrange(CAPACITY)
        for i in range(_RANDOM_TRIES):
            code = start if i == 0 else self._rng.randrange(CAPACITY)
            if self._free(code):
                return Handle(*divmod(code, NUMBERS))
        for offset in range(CAPACITY):
            code = (start + offset) % CAPACITY
            if self._free(code):
                return Handle(*divmod(code, NUMBERS))
        raise AudienceError("nicknames_exhausted", "no free nickname is left")

    def _free(self, code: int) -> bool:
        # A host-approved custom name may spell a generated one; that one is then not issued.
        handle = Handle(*divmod(code, NUMBERS))
        return code not in self._used_codes and not any(
            handle.render(lang).casefold() in self._owner for lang in ("zh", "en")
        )

    def name(self, phone: str, lang: str = "zh") -> str:
        """The name everyone sees (LED, leaderboard, draws): approved, else generated."""
        return self._approved.get(phone) or self.issue(phone).render(lang)

    def own_name(self, phone: str, lang: str = "zh") -> str:
        """The name the phone itself shows: its pending request if any."""
        return self._pending.get(phone) or self.name(phone, lang)

    def request(self, phone: str, raw: object) -> str:
        """Ask for a new name; returns it cleaned, waiting for approval. ``InvalidName`` if it
        is empty, too long or used by another phone. Asking for the current name is a no-op."""
        self.issue(phone)
        name = self._available(phone, raw)
        old = self._pending.pop(phone, None)
        if name not in (self.name(phone, "zh"), self.name(phone, "en")):
            self._pending[phone] = name
            self._owner[name.casefold()] = phone
        self._release(old, phone)
        return name

    def _available(self, phone: str, raw: object) -> str:
        name = clean_name(raw, NICKNAME_MAX)
        if self._owner.get(name.casefold(), phone) != phone:
            raise InvalidName("taken", "another phone already uses this name")
        return name

    def pending(self) -> list[tuple[str, str]]:
        """(phone, requested name), oldest request first, for the host to approve."""
        return list(self._pending.items())

    def approve(self, phone: str, seen: str) -> str:
        """Approve the phone's request if it is still exactly ``seen`` (what the host read);
        a request changed since then needs its own approval."""
        name = self._pending.get(phone)
        if name is None:
            raise AudienceError("no_request", "this phone has no name waiting for approval")
        if name != seen:
            raise AudienceError("name_changed", "the phone changed its request: approve it again")
        del self._pending[phone]
        old = self._approved.get(phone)
        self._approved[phone] = name
        self._owner[name.casefold()] = phone
        self._release(old, phone)
        return name

    def reject(self, phone: str) -> None:
        name = self._pending.pop(phone, None)
        if name is None:
            raise AudienceError("no_request", "this phone has no name waiting for approval")
        self._release(name, phone)

    def _release(self, name: str | None, phone: str) -> None:
        """Free a name the phone gave up, unless it still uses it (generated names stay
        reserved for their phone for the whole event)."""
        if name is None or self._owner.get(name.casefold()) != phone:
            return
        handle = self._handles[phone]
        in_use = {handle.render(lang) for lang in ("zh", "en")}
        in_use.update(n for n in (self._approved.get(phone), self._pending.get(phone)) if n)
        if name.casefold() not in {n.casefold() for n in in_use}:
            del self._owner[name.casefold()]

    # --- persistence ------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "v": FORMAT_VERSION,
            "phones": [
                {
                    "phone": phone,
                    "handle": handle.code,
                    "approved": self._approved.get(phone),
                    "pending": self._pending.get(phone),
                }
                for phone, handle in self._handles.items()
            ],
        }

    @classmethod
    def from_dict(cls, data: object, rng: random.Random | None = None) -> Nicknames:
        version(data, "nicknames", FORMAT_VERSION)
        shape = Shape(data, "nicknames", ("v", "phones"))
        book = cls(rng)
        requests: list[tuple[str, str | None, str | None, str]] = []
        for where, item in shape.items("phones", CAPACITY):
            row = Shape(item, where, ("phone", "handle", "approved", "pending"))
            phone = check_phone(row.raw("phone"), row.at("phone"))
            code = checked_int(row.raw("handle"), row.at("handle"), 0, CAPACITY - 1)
            if phone in book._handles or code in book._used_codes:
                raise ValueError(f"{where}: phone or nickname repeated")
            handle = Handle(*divmod(code, NUMBERS))
            book._handles[phone] = handle
            book._used_codes.add(code)
            for lang in ("zh", "en"):
                book._owner[handle.render(lang).casefold()] = phone
            requests.append((phone, row.opt_text("approved"), row.opt_text("pending"), where))
        # Custom names go through the same checks as live requests, so a restored book holds
        # only names the live one could have.
        for phone, approved, pending, where in requests:
            for store, name in ((book._approved, approved), (book._pending, pending)):
                if name is None:
                    continue
                try:
                    if book._available(phone, name) != name:
                        raise ValueError(f"{where}: {name!r} is not a cleaned name")
                except AudienceError as exc:
                    raise ValueError(f"{where}: {exc.message}") from None
                store[phone] = name
                book._owner[name.casefold()] = phone
        return book
