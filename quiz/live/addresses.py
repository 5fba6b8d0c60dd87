"""Per-address limits: what one machine on the venue Wi-Fi may claim, whatever device ids it
invents.

A device id is chosen by the phone, so every limit keyed by it alone is one new id away from
being lifted. This module keys the remaining limits by the address a socket connected from:
sockets open at once, new audience identities per minute (and in all), commands per second,
and entries in a prize draw. Addresses are kept only as a salted, truncated hash (a *label*):
enough to group the phones of one machine for the host, not a record of who was where.

Venues behind one NAT (every phone seen from one address) raise the limits with the
``quiz serve`` options (docs/security.md). Exempt addresses (by default the server's own
``127.0.0.1`` and ``::1``: the LED wall browser on the laptop, rehearsals, benchmarks) pass
every limit. The host role itself is accepted only from a loopback address unless the server
allows a remote console (:func:`is_loopback`).
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from dataclasses import dataclass, field

from quiz.server.bounded import BoundedMap

#: Labels remembered (LRU); a label idle for an hour is forgotten.
MAX_ADDRESSES = 10_000
ADDRESS_TTL_S = 3600.0


def is_loopback(address: str | None) -> bool:
    """True for 127.0.0.0/8 and ::1 (also IPv4 mapped into IPv6): the server's own machine."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


@dataclass(frozen=True)
class AddressLimits:
    """What one address may do. ``phones_per_minute``/``phones_max``: new audience identities
    (device ids) per minute and in all; ``sockets``: sockets open at once; ``commands_burst``
    and ``commands_per_s``: a token bucket over every socket of the address; ``draw_entries``:
    phones of one address counted in a prize draw."""

    sockets: int = 64
    phones_per_minute: int = 8
    phones_max: int = 64
    commands_burst: int = 40
    commands_per_s: float = 20.0
    draw_entries: int = 2
    exempt: frozenset[str] = frozenset({"127.0.0.1", "::1"})

    def __post_init__(self) -> None:
        numbers = (self.sockets, self.phones_per_minute, self.phones_max, self.commands_burst)
        if min(numbers) < 1 or self.commands_per_s <= 0 or self.draw_entries < 1:
            raise ValueError("every per-address limit must be at least 1")


@dataclass
class _Address:
    sockets: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    phone_tokens: float = 0.0
    phone_at: float = 0.0
    command_tokens: float = 0.0
    command_at: float = 0.0


class Addresses:
    """The per-address counters of one hub (called under the hub's lock or from one greenlet;
    nothing here blocks). Times are seconds."""

    def __init__(self, limits: AddressLimits | None = None, salt: bytes | None = None) -> None:
        self.limits = limits or AddressLimits()
        self._salt = salt or secrets.token_bytes(16)
        self._seen: BoundedMap[str, _Address] = BoundedMap(MAX_ADDRESSES, ttl=ADDRESS_TTL_S)

    def label(self, address: str | None) -> str:
        """The address as the server keeps it: "" for an exempt (or unknown) address, else a
        salted hash of 10 hex digits, stable while the server runs."""
        if not address or address in self.limits.exempt:
            return ""
        digest = hashlib.sha256(self._salt + address.encode()).hexdigest()
        return digest[:10]

    def _entry(self, label: str, now: float) -> _Address:
        limits = self.limits
        return self._seen.setdefault(
            label,
            lambda: _Address(
                phone_tokens=float(limits.phones_per_minute),
                phone_at=now,
                command_tokens=float(limits.commands_burst),
                command_at=now,
            ),
            now,
        )

    def open_socket(self, label: str, sid: str, now: float) -> bool:
        """Count a socket of ``label``; False if the address has too many open already."""
        if not label:
            return True
        entry = self._entry(label, now)
        if len(entry.sockets) >= self.limits.sockets:
            return False
        entry.sockets.add(sid)
        return True

    def close_socket(self, label: str, sid: str, now: float) -> None:
        if label:
            entry = self._seen.get(label, now)
            if entry is not None:
                entry.sockets.discard(sid)

    def new_phone(self, label: str, device: str, now: float) -> bool:
        """May ``device`` be an audience phone of ``label``? A device already seen there
        always may; a new one takes a token (``phones_per_minute``) and a place
        (``phones_max``)."""
        if not label:
            return True
        entry = self._entry(label, now)
        if device in entry.phones:
            return True
        limits = self.limits
        rate = limits.phones_per_minute / 60.0
        tokens = min(
            float(limits.phones_per_minute), entry.phone_tokens + (now - entry.phone_at) * rate
        )
        entry.phone_at = now
        if tokens < 1 or len(entry.phones) >= limits.phones_max:
            entry.phone_tokens = tokens
            return False
        entry.phone_tokens = tokens - 1
        entry.phones.add(device)
        return True

    def allow_command(self, label: str, now: float) -> bool:
        """One command of ``label``: False when the address's bucket is empty."""
        if not label:
            return True
        entry = self._entry(label, now)
        limits = self.limits
        tokens = min(
            float(limits.commands_burst),
            entry.command_tokens + (now - entry.command_at) * limits.commands_per_s,
        )
        entry.command_at = now
        if tokens < 1:
            entry.command_tokens = tokens
            return False
        entry.command_tokens = tokens - 1
        return True

    def __len__(self) -> int:
        return len(self._seen)


def draw_exclusions(
    labels: dict[str, str], members: dict[str, int], excluded: set[str], per_address: int
) -> set[str]:
    """The phones a draw leaves out: every phone of a host-excluded address, and beyond the
    first ``per_address`` phones (by member number: those that joined first) of each address.
    ``labels``: phone -> address label ("" for exempt addresses, never capped)."""
    out: set[str] = set()
    by_label: dict[str, list[tuple[int, str]]] = {}
    for phone, label in labels.items():
        if not label:
            continue
        if label in excluded:
            out.add(phone)
        else:
            by_label.setdefault(label, []).append((members.get(phone, 0), phone))
    for entries in by_label.values():
        out.update(phone for _, phone in sorted(entries)[per_address:])
    return out


def clusters(labels: dict[str, str], over: int) -> list[dict[str, object]]:
    """Addresses with more than ``over`` audience phones, largest first, for the host."""
    counts: dict[str, int] = {}
    for label in labels.values():
        if label:
            counts[label] = counts.get(label, 0) + 1
    big = [(n, label) for label, n in counts.items() if n > over]
    return [{"address": label, "phones": n} for n, label in sorted(big, reverse=True)]


__all__ = ["AddressLimits", "Addresses", "clusters", "draw_exclusions", "is_loopback"]
