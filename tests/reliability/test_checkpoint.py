"""WAL checkpoints run in a thread of their own, not inside a buzz's commit."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import text

from quiz.db import WAL_AUTOCHECKPOINT_PAGES, make_engine
from quiz.live.checkpoint import Checkpointer, sqlite_file


def _grow_wal(url: str, rows: int) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as db:
            db.execute(text("CREATE TABLE IF NOT EXISTS t (x TEXT)"))
        for i in range(rows):  # one commit each, like the match log
            with engine.begin() as db:
                db.execute(text("INSERT INTO t VALUES (:x)"), {"x": f"{i:08}" * 50})
        with engine.connect() as db:
            setting = db.execute(text("PRAGMA wal_autocheckpoint")).scalar()
        assert setting == WAL_AUTOCHECKPOINT_PAGES  # commits leave checkpoints alone
    finally:
        engine.dispose(close=False)  # keep the WAL: closing the last connection would fold it


def test_a_checkpoint_folds_the_wal_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'q.sqlite3'}"
    keeper = make_engine(url).connect()  # an open connection keeps the WAL file around
    try:
        _grow_wal(url, 300)
        path = sqlite_file(url)
        assert path is not None
        busy, frames, copied = Checkpointer(path, "threading").checkpoint()
        assert busy == 0 and frames >= 300 and copied == frames
    finally:
        keeper.close()
    assert sqlite_file("sqlite://") is None
    assert sqlite_file("postgresql+psycopg://u@h/db") is None


def test_the_thread_checkpoints_by_itself(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'q.sqlite3'}"
    keeper = make_engine(url).connect()
    checkpointer = Checkpointer(tmp_path / "q.sqlite3", "threading", interval_s=0.2)
    try:
        _grow_wal(url, 100)
        checkpointer.start()
        deadline = time.monotonic() + 10
        while checkpointer.runs == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert checkpointer.runs >= 1 and checkpointer.failures == 0
        # Everything was copied back: a fresh checkpoint finds nothing left to copy.
        _busy, frames, copied = checkpointer.checkpoint()
        assert frames == copied
    finally:
        checkpointer.stop()
        keeper.close()
