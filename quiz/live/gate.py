"""What every command passes before it is run: one at a time per sender, not too fast.

A sender is a :attr:`Client.key` (a device survives reconnects). A token bucket per sender
refuses floods (each buzz is a log row). Once per id is the ledger's (quiz/live/ledger.py:
acks remembered in memory and stored with the change, so they survive a restart).

Any phone can invent senders (a new device id each time), so every per-sender map is a
:class:`quiz.server.bounded.BoundedMap`: the least recently heard sender is forgotten first,
whatever ids arrive. Forgetting costs little: a sender's next command gets a fresh bucket (the
per-address limits of quiz/live/addresses.py still hold).
"""

from __future__ import annotations

import logging

from quiz.live.concurrency import Lock, make_lock
from quiz.server.bounded import BoundedMap

log = logging.getLogger(__name__)

#: Senders remembered (locks, buckets): the least recently heard is forgotten first.
MAX_SENDERS = 4096
# Per client: a burst of 20 commands, refilled at 10 a second. A buzzing finger or a fast
# host never gets near it; a script flooding buzzes (each one a log row) does.
RATE_BURST = 20
RATE_PER_S = 10


class CommandGate:
    """Per-sender locks and rate limits. ``lock`` is the hub's lock."""

    def __init__(self, async_mode: str, lock: Lock) -> None:
        self.async_mode = async_mode
        self.lock = lock
        # No times in these maps ("now" is 0): least recently used first, nothing expires.
        self._locks: BoundedMap[str, Lock] = BoundedMap(MAX_SENDERS)
        self._buckets: BoundedMap[str, tuple[float, int]] = BoundedMap(MAX_SENDERS)
        # Keys being rate limited (logged once per episode).
        self._limited: BoundedMap[str, bool] = BoundedMap(MAX_SENDERS)

    def lock_for(self, key: str) -> Lock:
        """The sender's own lock: its commands run one at a time, in order."""
        with self.lock:
            lock = self._locks.get(key, 0)
            if lock is None:
                lock = make_lock(self.async_mode)
                self._locks.set(key, lock, 0)
            return lock

    def allow(self, key: str, now_ms: int) -> bool:
        """Take one token from the sender's bucket; False (logged once) when it is empty."""
        tokens, last = self._buckets.get(key, 0) or (float(RATE_BURST), now_ms)
        tokens = min(float(RATE_BURST), tokens + (now_ms - last) * RATE_PER_S / 1000)
        if tokens < 1:
            self._buckets.set(key, (tokens, now_ms), 0)
            if key not in self._limited:
                self._limited.set(key, True, 0)
                log.warning("rate limiting %s", key)
            return False
        self._limited.pop(key)
        self._buckets.set(key, (tokens - 1, now_ms), 0)
        return True
