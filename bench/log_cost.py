"""What the append-only match log adds to a buzz: ``MatchService.apply`` timed with the real
persistence (SQLite file, WAL, ``synchronous=NORMAL``, schema from the Alembic migrations) and
with the persistence step replaced by nothing, on the same script in the same process.

Only the buzz that wins a question is timed (decide in memory, write the log rows in one
transaction, then the broadcast hook, which is a no-op here so that only the log is measured).
The other commands of the script (show, open, judge) run untimed around it.
"""

from __future__ import annotations

import gc
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bench.common import Section, summary
from quiz.db import make_engine, make_session_factory, migrate
from quiz.engine import Match, MatchRules, Side
from quiz.engine import commands as C
from quiz.live.concurrency import make_lock
from quiz.live.service import MatchService
from quiz.models.live import Contestant, QuizEvent
from quiz.models.live import Match as MatchRow

BUZZES = int(os.environ.get("BENCH_LOG_BUZZES", "3000"))
TARGET_P99_MS = 2.0


def _database(folder: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{folder / 'log-cost.sqlite3'}")
    migrate(engine)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        event = QuizEvent(title="bench", lang="zh-CN")
        session.add(event)
        session.flush()
        session.add_all([Contestant(event_id=event.id, name=n) for n in ("R", "B")])
    return sessions


def _new_match(sessions: sessionmaker[Session]) -> MatchService:
    with sessions.begin() as session:
        row = MatchRow(event_id=1, red_id=1, blue_id=2, status="live")
        session.add(row)
        session.flush()
        match_id = row.id
    rules = MatchRules(games_to_win=9)
    return MatchService(
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


def _nothing(_service: MatchService, _events: list[dict[str, Any]]) -> None:
    return None


def _measure(persist: bool, folder: Path, count: int) -> list[float]:
    """Milliseconds of each winning buzz's ``apply``; the table grows across matches."""
    sessions = _database(folder)
    samples: list[float] = []
    service: MatchService | None = None
    now = 1_700_000_000_000

    def apply(command: C.Command, at: int) -> float:
        assert service is not None
        start = time.perf_counter_ns()
        service.apply(command, at, sessions, _nothing)
        return (time.perf_counter_ns() - start) / 1e6

    question = 0
    gc.collect()
    while len(samples) < count:
        if service is None or service.engine.outcome is not None:
            service = _new_match(sessions)
            if not persist:
                # The same code path without the transaction: the in-memory cost of a buzz.
                service._persist = lambda *_args: None  # type: ignore[method-assign]
            apply(C.BindDevice(Side.RED, "red-phone"), now)
            apply(C.BindDevice(Side.BLUE, "blue-phone"), now)
        question += 1
        now += 1000
        apply(C.ShowQuestion(f"Q{question}", "choice", ("A",), 4), now)
        apply(C.OpenBuzzing(), now + 10)
        device = "red-phone" if question % 2 else "blue-phone"
        samples.append(apply(C.Buzz(device), now + 20))
        # Every third question is voided instead of judged: more questions per match.
        apply(C.Void() if question % 3 == 0 else C.Judge(correct=True), now + 30)
    return samples


def _row(name: str, values: list[float]) -> str:
    s = summary(values)
    cells = " | ".join(f"{s[k]:.3f}" for k in ("p50", "p95", "p99", "max"))
    return f"| {name} | {s['n']:.0f} | {cells} |"


def run(count: int = BUZZES) -> Section:
    results: dict[str, list[float]] = {}
    runs: list[tuple[str, bool]] = [("in memory only", False), ("with the log (SQLite WAL)", True)]
    for name, persist in runs:
        with tempfile.TemporaryDirectory(prefix="quiz-log-cost-") as folder:
            _measure(persist, Path(folder), max(count // 10, 50))  # warm-up, discarded
        with tempfile.TemporaryDirectory(prefix="quiz-log-cost-") as folder:
            results[name] = _measure(persist, Path(folder), count)
    mem, disk = results[runs[0][0]], results[runs[1][0]]
    added = {p: summary(disk)[p] - summary(mem)[p] for p in ("p50", "p99")}
    verdict = "meets" if added["p99"] <= TARGET_P99_MS else "MISSES"
    rows = [
        "| buzz apply() | n | p50 ms | p95 ms | p99 ms | max ms |",
        "| --- | --- | --- | --- | --- | --- |",
        _row(runs[0][0], mem),
        _row(runs[1][0], disk),
    ]
    body = (
        f"{count} winning buzzes, each `MatchService.apply()` timed with `perf_counter_ns`: "
        "decide under the match lock, append the command and its events to `match_log` in one "
        "transaction, then the (here empty) broadcast hook. SQLite file in a temporary folder, "
        "WAL journal, `synchronous=NORMAL`, schema from the Alembic migrations.\n\n"
        + "\n".join(rows)
        + f"\n\nAdded by the log: p50 {added['p50']:.3f} ms, p99 {added['p99']:.3f} ms "
        f"(target ≤ {TARGET_P99_MS:.0f} ms p99 added: {verdict})."
    )
    return Section("Match log: cost added to a buzz", body)


if __name__ == "__main__":
    print(run().body)
