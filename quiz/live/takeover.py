"""Seat takeovers: a second phone asking for a seat that another phone already holds.

A seat code is bound to the first phone that uses it. When another phone presents the same
code (a contestant switched phones, or someone photographed the QR code), the server never
lets two phones buzz for one side and never decides on its own: the request waits here until
the host approves it (the old phone is cut off, the new one bound) or denies it (that phone is
refused for that code from then on). Requests live in memory: after a restart the waiting
phone simply asks again on its next connect attempt.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import asdict, dataclass
from typing import Any

#: Waiting requests kept at once; the oldest is dropped first (a phone re-asks on retry).
MAX_PENDING = 16


@dataclass(frozen=True)
class TakeoverRequest:
    match_id: int
    side: str
    code: str
    device: str
    requested: int  # server ms of the first attempt

    def public(self) -> dict[str, Any]:
        """The host console's view (the host sees device ids anyway)."""
        return asdict(self)


class Takeovers:
    """Pending and denied takeovers, keyed by (seat code, device). The hub's lock guards it."""

    def __init__(self) -> None:
        self._pending: OrderedDict[tuple[str, str], TakeoverRequest] = OrderedDict()
        self._denied: set[tuple[str, str]] = set()

    def ask(self, match_id: int, side: str, code: str, device: str, now: int) -> tuple[str, bool]:
        """Record an attempt; returns (``"pending"`` or ``"denied"``, whether it is new)."""
        key = (code, device)
        if key in self._denied:
            return "denied", False
        if key in self._pending:
            return "pending", False
        self._pending[key] = TakeoverRequest(match_id, side, code, device, now)
        while len(self._pending) > MAX_PENDING:
            self._pending.popitem(last=False)
        return "pending", True

    def find(self, match_id: int, side: str, device: str) -> TakeoverRequest | None:
        for request in self._pending.values():
            if (request.match_id, request.side, request.device) == (match_id, side, device):
                return request
        return None

    def approve(self, request: TakeoverRequest) -> None:
        self._pending.pop((request.code, request.device), None)
        # Whoever held the seat before may ask to come back like anyone else.
        self._denied = {k for k in self._denied if k[0] != request.code}

    def deny(self, request: TakeoverRequest) -> None:
        self._pending.pop((request.code, request.device), None)
        self._denied.add((request.code, request.device))

    def forget_code(self, code: str) -> None:
        """The code was revoked (``issue_seat``): its requests can no longer be granted."""
        for key in [k for k in self._pending if k[0] == code]:
            del self._pending[key]
        self._denied = {k for k in self._denied if k[0] != code}

    def public(self) -> list[dict[str, Any]]:
        return [r.public() for r in self._pending.values()]


__all__ = ["MAX_PENDING", "TakeoverRequest", "Takeovers"]
