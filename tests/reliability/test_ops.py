"""``quiz export`` and ``quiz backup`` against a running server: the export is derived from the
logs (the exact question text shown, buzzes, receipts, judgements), and a backup taken in the
middle of a match restores into a working server with that match on it."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import QUIZ, LiveServer, Peer
from tests.reliability.harness import assert_restored, save_figures, start_cast

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def quiz(*args: str) -> subprocess.CompletedProcess[str]:
    command = [str(QUIZ)] if QUIZ.exists() else [sys.executable, "-m", "quiz"]
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, timeout=120, check=False
    )


def _play(server: LiveServer, connect: Callable[..., Peer]) -> tuple[Any, dict[str, Any]]:
    """One question won by red on the phone, a second judged by the host, a third open."""
    cast = start_cast(server, connect, rules={"games_to_win": 3})
    shown = []
    for judge in (False, True):
        cast.do("show_question")
        shown.append(cast.host.last()["match"]["question"])
        cast.do("open_buzzing")
        cast.phase("buzzing")
        cast.play(cast.red, "buzz", press_at=None)
        cast.phase("answering")
        if judge:
            cast.do("judge", correct=True)
        else:
            cast.play(cast.red, "choice", choices=shown[-1]["answer"])
        cast.phase("result")
    cast.do("show_question")
    shown.append(cast.host.last()["match"]["question"])
    cast.do("open_buzzing")
    cast.phase("buzzing")
    return cast, {"shown": shown}


def test_export_and_backup_while_serving(
    live_server_factory: Callable[..., LiveServer],
    sio_peer: Callable[..., Peer],
    tmp_path: Path,
) -> None:
    server = live_server_factory()
    cast, played = _play(server, sio_peer)
    db = server.database_url

    out = quiz("export", "--format", "json", "-o", str(tmp_path / "x.json"), "--database-url", db)
    assert out.returncode == 0, out.stderr
    tables = json.loads((tmp_path / "x.json").read_text(encoding="utf-8"))["tables"]
    assert [m["match_id"] for m in tables["matches"]] == [cast.match_id]
    match = tables["matches"][0]
    assert match["log_entries"] == cast.host.last()["seq"] and match["replay_error"] is None
    assert match["games"] == cast.host.last()["match"]["engine"]["score"] == {"red": 2, "blue": 0}
    assert [q["prompt_zh"] for q in tables["questions_shown"]] == [
        q["prompt"]["zh"] for q in played["shown"]
    ]
    # A drawn question is shown under its version id and option order ("216~ACBD").
    assert [
        q["version_id"] + (f"~{q['option_order']}" if q["option_order"] else "")
        for q in tables["questions_shown"]
    ] == [q["id"] for q in played["shown"]]
    assert all(q["code"] and q["content_hash"] for q in tables["questions_shown"])
    assert {"buzz_won", "buzz_accepted"} & {b["type"] for b in tables["buzzes"]}
    judged = [j for j in tables["judgements"] if j["type"] == "answer_judged"]
    assert [(j["side"], j["correct"], j["by"]) for j in judged] == [
        ("red", True, "phone"),
        ("red", True, "host"),
    ]
    assert len(tables["receipts"]) == 2  # one per buzz (fair buzzing)
    assert len(tables["log"]) == match["log_entries"]

    out = quiz("export", "--format", "csv", "-o", str(tmp_path / "csv"), "--database-url", db)
    assert out.returncode == 0, out.stderr
    with (tmp_path / "csv" / "questions_shown.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert [r["prompt_zh"] for r in rows] == [q["prompt"]["zh"] for q in played["shown"]]
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == sorted(
        f"{name}.csv" for name in tables
    )
    missing = quiz("export", "--event", "999", "-o", str(tmp_path / "n.json"), "--database-url", db)
    assert missing.returncode == 1 and "no event 999" in missing.stderr
    assert not (tmp_path / "n.json").exists()

    # An online backup in the middle of the third question...
    acked = cast.settled()
    backup = tmp_path / "backup.sqlite3"
    out = quiz("backup", "-o", str(backup), "--database-url", db)
    assert out.returncode == 0, out.stderr
    assert f"{acked['seq']} log entries" in out.stdout
    again = quiz("backup", "-o", str(backup), "--database-url", db)
    assert again.returncode == 1 and "exists" in again.stderr
    # ...restores into a working server with the match where it was.
    restored_server = live_server_factory(database_url=f"sqlite:///{backup}")
    host = sio_peer(restored_server, "host", token=restored_server.token)
    restored = host.wait_for(lambda s: s["match"] is not None)
    assert_restored(acked, restored, "paused")
    assert host.command("resume", seq=restored["seq"])["ok"]
    save_figures(
        "ops",
        {
            "export_rows": {name: len(rows) for name, rows in tables.items()},
            "backup_bytes": backup.stat().st_size,
            "restored_seq": restored["seq"],
        },
    )


def test_backup_of_postgres_prints_the_command(tmp_path: Path) -> None:
    url = "postgresql+psycopg://quiz:s3cret@db.local:5433/quizdb"
    out = quiz("backup", "-o", str(tmp_path / "q.dump"), "--database-url", url)
    assert out.returncode == 0, out.stderr
    assert "pg_dump --format=custom" in out.stdout and "--host=db.local" in out.stdout
    assert "--port=5433" in out.stdout and "quizdb" in out.stdout
    assert "s3cret" not in out.stdout


def test_backup_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    missing = quiz("backup", "-o", str(tmp_path / "b"), "--database-url", "sqlite:///nowhere.db")
    assert missing.returncode == 1 and "no database" in missing.stderr
    memory = quiz("backup", "-o", str(tmp_path / "b"), "--database-url", "sqlite://")
    assert memory.returncode == 1 and "in-memory" in memory.stderr
