"""WAL checkpoints off the buzz path (SQLite only).

In WAL mode a commit is an append to the ``-wal`` file; now and then the log has to be copied
back into the database file (a checkpoint, with an ``fsync``). Left to SQLite, that happens
inside whichever commit crosses ``wal_autocheckpoint`` pages, so every few hundred buzzes one
buzz waits for it (bench/log_cost.py: the log's p99 on a buzz halves without it). Here a
native OS thread, not a greenlet, runs a ``PASSIVE`` checkpoint every couple of seconds on a
connection of its own: it never blocks a writer and its ``fsync`` never blocks the event loop.
``quiz.db`` raises ``wal_autocheckpoint`` so far that commits only checkpoint themselves if this
thread ever stops working.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

INTERVAL_S = 2.0
_STEP_S = 0.1  # how quickly stop() is noticed


def _native(async_mode: str) -> tuple[Callable[..., Any], Callable[[float], None]]:
    """``start_new_thread`` and ``sleep`` that are the operating system's, whatever the
    monkey-patching of ``async_mode`` did to ``threading`` and ``time``."""
    if async_mode == "gevent":
        from gevent import monkey

        return monkey.get_original("_thread", "start_new_thread"), monkey.get_original(
            "time", "sleep"
        )
    if async_mode == "eventlet":
        from eventlet import patcher

        return patcher.original("_thread").start_new_thread, patcher.original("time").sleep
    import _thread
    import time

    return _thread.start_new_thread, time.sleep


def sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


class Checkpointer:
    def __init__(
        self,
        path: Path,
        async_mode: str,
        interval_s: float = INTERVAL_S,
        failed: Callable[[BaseException], None] | None = None,
        done: Callable[[], None] | None = None,
    ) -> None:
        self.path = path
        # Told of each failure and success (quiz/live/storage.py: the host console and
        # /healthz report a checkpoint that keeps failing, not only the server output).
        self._failed = failed
        self._done = done
        self.interval_s = interval_s
        self._start_thread, self._sleep = _native(async_mode)
        self._running = False
        self.runs = 0
        self.failures = 0

    def checkpoint(self) -> tuple[int, int, int]:
        """One ``PASSIVE`` checkpoint: (busy, frames in the WAL, frames copied back)."""
        db = sqlite3.connect(self.path, timeout=1)
        try:
            busy, frames, copied = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        finally:
            db.close()
        self.runs += 1
        return int(busy), int(frames), int(copied)

    def start(self) -> None:
        if not self._running:
            self._running = True
            self._start_thread(self._loop, ())

    def stop(self) -> None:
        self._running = False

    def _loop(self) -> None:
        waited = 0.0
        while self._running:
            self._sleep(_STEP_S)
            waited += _STEP_S
            if waited < self.interval_s:
                continue
            waited = 0.0
            try:
                self.checkpoint()
            except Exception as exc:  # the database being busy or gone must not kill the thread
                self.failures += 1
                if self.failures in (1, 10, 100):
                    log.error("WAL checkpoint failed (%d so far): %s", self.failures, exc)
                if self._failed is not None:
                    self._failed(exc)
            else:
                if self._done is not None:
                    self._done()


__all__ = ["INTERVAL_S", "Checkpointer", "sqlite_file"]
