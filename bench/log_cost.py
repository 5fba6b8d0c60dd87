"""What the append-only match log adds to a buzz: ``MatchService.apply`` with the real
persistence (SQLite file, WAL, ``synchronous=NORMAL``, schema from the Alembic migrations)
as ``quiz serve`` runs it (WAL checkpoints in a native thread), the same with SQLite's default
checkpoints (inside the commit that crosses 1,000 pages) and, interleaved buzz by buzz in the
same loop, with the persistence step replaced by nothing, so that whatever else the machine
is doing weighs on all alike. The log write itself (``_persist``) is also timed on its own.

Only the buzz that wins a question is timed (decide in memory, write the log rows in one
transaction, then the broadcast hook, a no-op here so that only the log is measured). The
other commands of the script (show, open, judge) run untimed around it.
"""

from __future__ import annotations

import gc
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from bench.common import Section, summary
from quiz.db import make_engine, make_session_factory, migrate
from quiz.engine import Match, MatchRules, Side
from quiz.engine import commands as C
from quiz.live.checkpoint import Checkpointer
from quiz.live.concurrency import make_lock
from quiz.live.service import MatchService
from quiz.models.live import Contestant, QuizEvent
from quiz.models.live import Match as MatchRow

BUZZES = int(os.environ.get("BENCH_LOG_BUZZES", "5000"))
TARGET_P99_MS = 2.0


def _database(folder: Path, name: str, autocheckpoint: int | None = None) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{folder / name}.sqlite3")
    if autocheckpoint is not None:

        def pragma(connection: Any, _record: Any) -> None:
            connection.execute(f"PRAGMA wal_autocheckpoint={autocheckpoint}")

        event.listen(engine, "connect", pragma)
    migrate(engine)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        quiz_event = QuizEvent(title="bench", lang="zh-CN")
        session.add(quiz_event)
        session.flush()
        session.add_all([Contestant(event_id=quiz_event.id, name=n) for n in ("R", "B")])
    return sessions


class Runner:
    """One match after another through one ``MatchService`` path, persisted or not."""

    def __init__(self, sessions: sessionmaker[Session], persist: bool) -> None:
        self.sessions = sessions
        self.persist = persist
        self.writes: list[float] = []  # ms of each _persist transaction
        self.buzz_writes: list[float] = []  # ms of the winning buzzes' transactions
        self.cpu: list[float] = []  # CPU ms of this thread in each _persist
        self.buzz_cpu: list[float] = []
        self.now = 1_700_000_000_000
        self.question = 0
        self.service = self._new_match()

    def _new_match(self) -> MatchService:
        with self.sessions.begin() as session:
            row = MatchRow(event_id=1, red_id=1, blue_id=2, status="live")
            session.add(row)
            session.flush()
            match_id = row.id
        rules = MatchRules(games_to_win=9)
        service = MatchService(
            match_id=match_id,
            event_id=1,
            number=1,
            sides={},
            rules=rules,
            question_filter={},
            seed="bench",
            engine=Match(rules),
            lock=make_lock("threading"),
        )
        persist = service._persist

        def timed(*args: Any) -> None:
            if not self.persist:
                return  # the same code path without the transaction
            start, cpu = time.perf_counter_ns(), time.thread_time_ns()
            persist(*args)
            self.writes.append((time.perf_counter_ns() - start) / 1e6)
            self.cpu.append((time.thread_time_ns() - cpu) / 1e6)

        service._persist = timed  # type: ignore[method-assign]
        self._apply(service, C.BindDevice(Side.RED, "red-phone"))
        self._apply(service, C.BindDevice(Side.BLUE, "blue-phone"))
        return service

    def _apply(self, service: MatchService, command: C.Command, offset: int = 0) -> float:
        start = time.perf_counter_ns()
        service.apply(command, self.now + offset, self.sessions, _nothing)
        return (time.perf_counter_ns() - start) / 1e6

    def buzz(self) -> float:
        """One question; returns the ms of its winning buzz (and keeps the ms of that buzz's
        log write in ``buzz_writes``)."""
        if self.service.engine.outcome is not None:
            self.service = self._new_match()  # the table keeps growing across matches
        self.question += 1
        self.now += 1000
        service = self.service
        self._apply(service, C.ShowQuestion(f"Q{self.question}", "choice", ("A",), 4))
        self._apply(service, C.OpenBuzzing(), 10)
        device = "red-phone" if self.question % 2 else "blue-phone"
        took = self._apply(service, C.Buzz(device), 20)
        if self.persist:
            self.buzz_writes.append(self.writes[-1])
            self.buzz_cpu.append(self.cpu[-1])
        # Every third question is voided instead of judged: more questions per match.
        self._apply(service, C.Void() if self.question % 3 == 0 else C.Judge(correct=True), 30)
        return took


def _nothing(_service: MatchService, _events: list[dict[str, Any]]) -> None:
    return None


def _row(name: str, values: list[float]) -> str:
    s = summary(values)
    cells = " | ".join(f"{s[k]:.3f}" for k in ("p50", "p95", "p99", "max"))
    return f"| {name} | {s['n']:.0f} | {cells} |"


def run(count: int = BUZZES) -> Section:
    with tempfile.TemporaryDirectory(prefix="quiz-log-cost-") as folder:
        memory = Runner(_database(Path(folder), "memory"), persist=False)
        # As quiz serve runs: WAL checkpoints from a native thread, never in a commit.
        served = Runner(_database(Path(folder), "served"), persist=True)
        checkpointer = Checkpointer(Path(folder) / "served.sqlite3", "threading")
        checkpointer.start()
        # SQLite's default: the commit that crosses 1,000 WAL pages checkpoints.
        default = Runner(_database(Path(folder), "default", autocheckpoint=1000), persist=True)
        runners = (memory, served, default)
        try:
            for _ in range(max(count // 10, 50)):  # warm-up, discarded
                for runner in runners:
                    runner.buzz()
            for runner in runners:
                runner.buzz_writes.clear()
                runner.buzz_cpu.clear()
            gc.collect()
            times: dict[str, list[float]] = {"memory": [], "served": [], "default": []}
            for _ in range(count):
                for name, runner in zip(times, runners, strict=True):
                    times[name].append(runner.buzz())
                    del runner.writes[:-1], runner.cpu[:-1]  # only the newest is ever read
        finally:
            checkpointer.stop()
    write = summary(served.buzz_writes)
    added = {p: summary(times["served"])[p] - summary(times["memory"])[p] for p in ("p50", "p99")}
    verdict = "meets" if write["p99"] <= TARGET_P99_MS else "MISSES"
    rows = [
        "| buzz | n | p50 ms | p95 ms | p99 ms | max ms |",
        "| --- | --- | --- | --- | --- | --- |",
        _row("`apply()` in memory only", times["memory"]),
        _row("`apply()` with the log, as served", times["served"]),
        _row("the log write alone (`_persist`), as served", served.buzz_writes),
        _row("CPU time of this thread in that write", served.buzz_cpu),
        _row("`apply()` with the log, SQLite's default checkpoints", times["default"]),
        _row("the log write alone, SQLite's default checkpoints", default.buzz_writes),
    ]
    body = (
        f"{count} winning buzzes each way, interleaved, each `MatchService.apply()` timed with "
        "`perf_counter_ns`: decide under the match lock, append the command and its events to "
        "`match_log` in one transaction, then the (here empty) broadcast hook. SQLite files in "
        "a temporary folder, WAL journal, `synchronous=NORMAL`, schema from the Alembic "
        "migrations. *As served*: WAL checkpoints run in a native thread every 2 s "
        "(`quiz/live/checkpoint.py`), as in `quiz serve`; *SQLite's default*: the commit that "
        "crosses 1,000 WAL pages runs the checkpoint (and its `fsync`) itself.\n\n"
        + "\n".join(rows)
        + f"\n\nAdded by the log as served: the write itself p50 {write['p50']:.3f} ms, p99 "
        f"{write['p99']:.3f} ms (target ≤ {TARGET_P99_MS:.0f} ms p99: {verdict}); difference "
        f"of the `apply()` percentiles p50 {added['p50']:.3f} ms, p99 {added['p99']:.3f} ms. "
        f"{checkpointer.runs} background checkpoints ran. Where the wall time of a write is "
        "far above its CPU time, the process was waiting (for the CPU on a busy machine, or "
        "for the disk), not working."
    )
    return Section("Match log: cost added to a buzz", body)


if __name__ == "__main__":
    print(run().body)
