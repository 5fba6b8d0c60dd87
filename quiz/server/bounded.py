"""Per-client memory and per-client lockouts that stay bounded whatever clients do.

Any phone on the venue Wi-Fi can invent a new device id, socket or address at will, so every
map keyed by one must have a size bound, and every "try again" must get slower. Both pieces
here are plain data structures: stdlib only, no clock reads (the caller passes ``now``, in
seconds or milliseconds as long as it is consistent), no I/O, no locks (the live hub calls them
under its own lock).

- :class:`BoundedMap`: a dict with a maximum size (the least recently used entry goes first)
  and an optional time-to-live (an entry not touched for ``ttl`` is gone).
- :class:`Lockout`: failures per key (a socket, an address); after ``free`` failures each
  further one locks the key out for a delay that doubles up to ``max_delay``; a success or a
  quiet ``forget_after`` clears it. The keys live in a :class:`BoundedMap`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedMap(Generic[K, V]):
    """At most ``max_size`` entries, least recently used out first; with ``ttl``, an entry
    older than ``ttl`` (since it was last set or read with :meth:`get`) counts as absent.

    ``on_evict(key, value)`` is called for every entry pushed out or expired (to close what
    it holds); it is not called for :meth:`pop`."""

    def __init__(
        self,
        max_size: int,
        ttl: float | None = None,
        on_evict: Callable[[K, V], None] | None = None,
    ) -> None:
        if max_size < 1:
            raise ValueError("max_size must be at least 1")
        if ttl is not None and ttl <= 0:
            raise ValueError("ttl must be positive")
        self.max_size = max_size
        self.ttl = ttl
        self.on_evict = on_evict
        self._items: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[K]:
        return iter(list(self._items))

    def __getitem__(self, key: K) -> V:
        """The value, without counting as a use (for reading back in tests and views)."""
        return self._items[key][1]

    def get(self, key: K, now: float, default: V | None = None) -> V | None:
        """The value (and it becomes the most recently used), or ``default``."""
        item = self._items.get(key)
        if item is None:
            return default
        if self._expired(item[0], now):
            self._evict(key)
            return default
        self._items[key] = (now, item[1])
        self._items.move_to_end(key)
        return item[1]

    def set(self, key: K, value: V, now: float) -> None:
        self._items[key] = (now, value)
        self._items.move_to_end(key)
        while len(self._items) > self.max_size:
            self._evict(next(iter(self._items)))

    def setdefault(self, key: K, factory: Callable[[], V], now: float) -> V:
        value = self.get(key, now)
        if value is None:
            value = factory()
            self.set(key, value, now)
        return value

    def pop(self, key: K, default: V | None = None) -> V | None:
        item = self._items.pop(key, None)
        return default if item is None else item[1]

    def expire(self, now: float, limit: int = 1000) -> int:
        """Drop up to ``limit`` expired entries (oldest first); returns how many went. Call it
        from a periodic task: entries nobody reads again would otherwise wait for the size
        bound to push them out."""
        gone = 0
        while self._items and gone < limit:
            key, (touched, _) = next(iter(self._items.items()))
            if not self._expired(touched, now):
                break
            self._evict(key)
            gone += 1
        return gone

    def _expired(self, touched: float, now: float) -> bool:
        return self.ttl is not None and now - touched >= self.ttl

    def _evict(self, key: K) -> None:
        _, value = self._items.pop(key)
        if self.on_evict is not None:
            self.on_evict(key, value)


@dataclass
class _Strikes:
    failures: int = 0
    locked_until: float = 0.0
    last: float = 0.0


class Lockout(Generic[K]):
    """Exponential back-off per key after a few free failures.

    With ``free=3, delay=1, max_delay=60``: the first three wrong seat codes cost nothing,
    the fourth locks the key for 1 s, the fifth for 2 s, then 4, 8, ... up to a minute. A
    guess made while locked out is refused without being checked (and does not count):
    392 guesses a second become about one a minute. ``forget_after`` of quiet clears a key.
    """

    def __init__(
        self,
        free: int = 3,
        delay: float = 1.0,
        max_delay: float = 60.0,
        forget_after: float = 600.0,
        max_keys: int = 10_000,
    ) -> None:
        if free < 0 or delay <= 0 or max_delay < delay:
            raise ValueError("need free >= 0 and 0 < delay <= max_delay")
        self.free = free
        self.delay = delay
        self.max_delay = max_delay
        self._keys: BoundedMap[K, _Strikes] = BoundedMap(max_keys, ttl=forget_after)

    def retry_after(self, key: K, now: float) -> float:
        """0 if ``key`` may try now, else the seconds (or ms) until it may."""
        strikes = self._keys.get(key, now)
        if strikes is None:
            return 0.0
        return max(0.0, strikes.locked_until - now)

    def failed(self, key: K, now: float) -> float:
        """Record a failure; returns the lockout it starts (0 while failures are free)."""
        strikes = self._keys.setdefault(key, _Strikes, now)
        strikes.failures += 1
        strikes.last = now
        over = strikes.failures - self.free
        if over <= 0:
            return 0.0
        wait: float = min(self.max_delay, self.delay * float(1 << min(over - 1, 62)))
        strikes.locked_until = now + wait
        return wait

    def succeeded(self, key: K) -> None:
        self._keys.pop(key)

    def __len__(self) -> int:
        return len(self._keys)


__all__ = ["BoundedMap", "Lockout"]
