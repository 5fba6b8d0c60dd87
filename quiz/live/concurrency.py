"""Locks and events that match the Socket.IO async mode.

The live code never starts threads or sleeps on its own: background work goes through
``socketio.start_background_task`` / ``socketio.sleep``, and locks come from here so that
under gevent or eventlet a waiting handler yields to other greenlets instead of blocking.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol


class Lock(Protocol):
    def __enter__(self) -> Any: ...
    def __exit__(self, exc_type: Any, exc: Any, tb: Any, /) -> Any: ...


def make_lock(async_mode: str) -> Lock:
    """A re-entrant lock for ``async_mode``."""
    if async_mode == "gevent":
        import gevent.lock

        lock: Lock = gevent.lock.RLock()
        return lock
    # eventlet: ``quiz serve`` monkey-patches threading before anything is imported, so the
    # standard RLock is already a green lock there.
    return threading.RLock()
