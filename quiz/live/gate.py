"""What every command passes before it is run: one at a time per sender, not too fast.

A sender is a :attr:`Client.key` (a device survives reconnects). A token bucket per sender
refuses floods (each buzz is a log row). Once per id is the ledger's (quiz/live/ledger.py:
acks remembered in memory and stored with the change, so they survive a restart).
"""

from __future__ import annotations

import logging

from quiz.live.concurrency import Lock, make_lock

log = logging.getLogger(__name__)

# Per client: a burst of 20 commands, refilled at 10 a second. A buzzing finger or a fast
# host never gets near it; a script flooding buzzes (each one a log row) does.
RATE_BURST = 20
RATE_PER_S = 10


class CommandGate:
    """Per-sender locks and rate limits. ``lock`` is the hub's lock."""

    def __init__(self, async_mode: str, lock: Lock) -> None:
        self.async_mode = async_mode
        self.lock = lock
        self._locks: dict[str, Lock] = {}
        self._buckets: dict[str, tuple[float, int]] = {}
        self._limited: set[str] = set()  # keys being rate limited (logged once per episode)

    def lock_for(self, key: str) -> Lock:
        """The sender's own lock: its commands run one at a time, in order."""
        with self.lock:
            lock = self._locks.get(key)
            if lock is None:
                lock = self._locks[key] = make_lock(self.async_mode)
            return lock

    def allow(self, key: str, now_ms: int) -> bool:
        """Take one token from the sender's bucket; False (logged once) when it is empty."""
        tokens, last = self._buckets.get(key, (float(RATE_BURST), now_ms))
        tokens = min(float(RATE_BURST), tokens + (now_ms - last) * RATE_PER_S / 1000)
        if tokens < 1:
            self._buckets[key] = (tokens, now_ms)
            if key not in self._limited:
                self._limited.add(key)
                log.warning("rate limiting %s", key)
            return False
        self._limited.discard(key)
        self._buckets[key] = (tokens - 1, now_ms)
        return True
