"""Can the server still write its database? Checked before commands are taken, and as it runs.

A command is acknowledged only once its change is stored (quiz/live/ledger.py); when storage
fails the honest answer is a ``storage_unavailable`` error that tells the host what to do, an
alert on the host console and ``ok: false`` on ``/healthz``, instead of an ``internal`` error
per command. :class:`StorageHealth` holds that verdict. It is set from three places: the ticker
(:meth:`StorageHealth.check`: free space every second, a write probe every few seconds, both
cheap: a ``statvfs`` and a rolled-back header write without ``fsync``), a command whose write
failed (:meth:`StorageHealth.failed`) and the WAL checkpoint thread (quiz/live/checkpoint.py).
A good probe clears it: nothing needs a restart once the disk has room again.

A full disk is seen two ways: free space below ``min_free_mb`` (the threshold, configurable:
``--min-free-mb``) before anything fails, and ``database or disk is full`` from a write.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_MIN_FREE_MB = 64
SPACE_EVERY_S = 1.0
PROBE_EVERY_S = 5.0

#: What SQLite says (through SQLAlchemy or sqlite3) when the storage, not the server, failed.
_STORAGE_ERRORS = (
    ("readonly", "read_only"),
    ("read-only", "read_only"),
    ("disk is full", "disk_full"),
    ("disk i/o error", "io_error"),
    ("unable to open database file", "io_error"),
)
#: Set by the checkpoint thread; cleared by its next success, not by the probe.
CHECKPOINT = "checkpoint_failed"


def storage_reason(exc: BaseException) -> str | None:
    """The storage failure ``exc`` reports (``read_only``, ``disk_full``, ``io_error``), or
    None if it is some other error."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    if isinstance(exc, OSError) and exc.errno == 28:  # ENOSPC
        return "disk_full"
    for needle, reason in _STORAGE_ERRORS:
        if needle in text:
            return reason
    return None


class StorageHealth:
    """The verdict on the data folder and the database file. ``database`` is None for a
    database that is not a local SQLite file (only write failures are seen then)."""

    def __init__(
        self,
        database: Path | None,
        min_free_mb: int = DEFAULT_MIN_FREE_MB,
        clock: Callable[[], float] = time.monotonic,
        recovered: Callable[[], None] | None = None,
    ) -> None:
        self.database = database
        # Called when a check finds the storage writable again: the connections opened while
        # it was not (SQLite opens an unwritable file read-only, for good) are replaced.
        self.recovered = recovered
        self.min_free_bytes = max(0, min_free_mb) * 1024 * 1024
        self.clock = clock
        self.reason: str | None = None
        self.free_bytes: int | None = None
        self._space_at = -SPACE_EVERY_S
        self._full_at: int | None = None  # free bytes when a write last found the disk full
        self._probe_at = -PROBE_EVERY_S
        self._told: str | None = None  # the verdict the last news() reported

    @property
    def ok(self) -> bool:
        return self.reason is None

    def view(self) -> dict[str, Any]:
        """What the host console and ``/healthz`` show."""
        free_mb = None if self.free_bytes is None else self.free_bytes // (1024 * 1024)
        return {"ok": self.ok, "reason": self.reason, "free_mb": free_mb}

    def check(self, force: bool = False) -> bool:
        """Look again (at most every second, the write probe every few seconds or at once when
        failing); True if the verdict changed."""
        now = self.clock()
        before = self.reason
        if self.database is None or (not force and now - self._space_at < SPACE_EVERY_S):
            return False
        self._space_at = now
        reason = self._space()
        probe_due = force or before is not None or now - self._probe_at >= PROBE_EVERY_S
        if reason is None and probe_due:
            self._probe_at = now
            reason = self._probe()
        elif reason is None:
            reason = before  # no probe yet: keep the verdict of the last one
        if before == CHECKPOINT and reason is None:
            reason = CHECKPOINT
        if reason is None and before == "disk_full" and self._still_full():
            reason = before  # the probe writes nothing to disk: it cannot see a full one
        self._set(reason)
        if before is not None and reason is None and self.recovered is not None:
            self.recovered()
        return self.reason != before

    def news(self) -> bool:
        """Look again (as :meth:`check`); True if the verdict differs from the one the last
        call saw, whoever changed it since: a ``/healthz`` request checks too, and so do failed
        writes and the checkpoint thread. The ticker calls this to refresh the host console."""
        self.check()
        changed = self.reason != self._told
        self._told = self.reason
        return changed

    def failed(self, exc: BaseException) -> bool:
        """A write raised ``exc``; True (and the verdict set) if the storage is to blame."""
        reason = storage_reason(exc)
        if reason == "disk_full" and self.database is not None:
            self._space()
            self._full_at = self.free_bytes
        if reason is not None:
            self._set(reason)
        return reason is not None

    def _still_full(self) -> bool:
        """No room has been made since a write failed for want of it (1 MB more counts)."""
        if self._full_at is None or self.free_bytes is None:
            return False
        return self.free_bytes < self._full_at + 1024 * 1024

    def checkpoint_failed(self, exc: BaseException) -> None:
        self._set(storage_reason(exc) or CHECKPOINT)

    def checkpoint_done(self) -> None:
        if self.reason == CHECKPOINT:
            self._set(None)

    def _set(self, reason: str | None) -> None:
        if reason != self.reason:
            if reason is None:
                log.warning("storage writable again")
            else:
                log.error("storage unavailable: %s (%s)", reason, self.database)
        self.reason = reason

    def _space(self) -> str | None:
        assert self.database is not None
        try:
            self.free_bytes = shutil.disk_usage(self.database.parent).free
        except OSError:
            return "io_error"
        return "disk_full" if self.free_bytes < self.min_free_bytes else None

    def _probe(self) -> str | None:
        """Take the write lock and write the header (rolled back: nothing reaches the disk).
        A busy database is a writable one."""
        assert self.database is not None
        try:
            db = sqlite3.connect(self.database, timeout=0, isolation_level=None)
        except sqlite3.Error as exc:
            return storage_reason(exc) or "io_error"
        try:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            db.execute("BEGIN IMMEDIATE")
            db.execute(f"PRAGMA user_version = {version}")
            db.execute("ROLLBACK")
        except sqlite3.Error as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                return None
            return storage_reason(exc) or "io_error"
        finally:
            db.close()
        return None


__all__ = ["DEFAULT_MIN_FREE_MB", "StorageHealth", "storage_reason"]
