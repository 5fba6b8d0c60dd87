"""``quiz export --archive`` and ``quiz report --merge``: event archives from two databases
(the played one, and a copy of it whose event is renamed and re-created as if on another
laptop) merged into one report; duplicates counted once; archives hold no device id."""

from __future__ import annotations

import json
import shutil
import zipfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from quiz.commands import cli
from quiz.db import make_engine, make_session_factory
from quiz.models import QuizEvent
from quiz.ops.archive import ArchiveError, read_archive
from quiz.report.merge import Merged, merge_archives
from tests.report.conftest import Played

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def archive(url: str, event: int, out: Path, venue: str) -> Path:
    result = run("export", "--archive", "--event", str(event), "-o", str(out), "--venue", venue,
                 "--database-url", url)  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def two_venues(played: Played, tmp_path: Path) -> tuple[Path, Path]:
    """Event one archived from the played database, and from a second database (a copy whose
    event was re-created: another laptop numbers its events from 1 too)."""
    first = archive(played.database_url, played.event_one, tmp_path / "east.zip", "东城站")
    copy = tmp_path / "other.sqlite3"
    shutil.copy(played.checkpoint(), copy)
    engine = make_engine(f"sqlite:///{copy}")
    with make_session_factory(engine).begin() as session:
        event = session.get(QuizEvent, played.event_one)
        assert event is not None
        event.title, event.created = "西城区站点", event.created + timedelta(seconds=1)
    engine.dispose()
    second = archive(f"sqlite:///{copy}", played.event_one, tmp_path / "west.zip", "西城站")
    return first, second


def test_archive_is_versioned_hashed_and_holds_no_device_id(played: Played, tmp_path: Path) -> None:
    path = archive(played.database_url, played.event_one, tmp_path / "a.zip", "东城站")
    again = archive(played.database_url, played.event_one, tmp_path / "b.zip", "东城站")
    one, two = read_archive(path), read_archive(again)
    assert one.manifest["format"] == "quiz-event-archive" and one.manifest["version"] == 1
    assert one.content_hash == two.content_hash  # the same event, unchanged: the same content
    assert one.manifest["venue"] == "东城站" and one.event_id == played.event_one
    assert "seat" not in one.tables and one.tables["match_log"]
    assert {r["id"] for r in one.tables["quiz_event"]} == {played.event_one}
    with zipfile.ZipFile(path) as z:
        data = z.read("data.json").decode()
    device_ids = [
        cmd["device_id"]
        for e in one.tables["match_log"]
        for cmd in [e["command"]]
        if "device_id" in cmd
    ]
    assert device_ids and all(d.startswith("d-") for d in device_ids)
    for raw in ("phone-red", "127.0.0.1", '"pending":"'):
        assert raw not in data
    # A damaged archive is refused with a clear reason.
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(path) as z, zipfile.ZipFile(broken, "w") as out:
        out.writestr("manifest.json", z.read("manifest.json"))
        out.writestr("data.json", data.replace("东城", "南城", 1))
    with pytest.raises(ArchiveError, match="does not match its hash"):
        read_archive(broken)


def test_two_databases_merge_into_one_report(
    played: Played, two_venues: tuple[Path, Path], tmp_path: Path
) -> None:
    east, west = two_venues
    single = merge_archives([east])
    merged = merge_archives([east, west])
    assert [v.name for v in merged.venues] == ["东城站", "西城站"]
    one = single.venues[0].data
    assert one.reach is not None and merged.reach is not None and one.audience is not None
    # Reach read back from the archive agrees with the audience answers the report counts.
    assert one.reach.answered == one.audience.phones > 0 and one.awareness
    assert merged.reach.joined == 2 * one.reach.joined
    assert merged.contestant_rate.total == 2 * one.contestant_rate.total
    assert [(m.message, m.phones) for m in merged.awareness] == [
        (m.message, 2 * m.phones) for m in one.awareness
    ]
    # Order, and giving an archive twice, change nothing; the duplicate is named.
    again = merge_archives([west, east, west, east])

    def comparable(m: Merged) -> object:
        return [(v.name, v.content_hash, replace(v.data, generated=NOW)) for v in m.venues]

    assert comparable(again) == comparable(merged) and again.reach == merged.reach
    assert again.awareness == merged.awareness and again.categories == merged.categories
    assert again.duplicates == ("东城站", "西城站") and not merged.duplicates

    html, book = tmp_path / "venues.html", tmp_path / "venues.xlsx"
    result = run("report", "--merge", str(east), str(west), str(east), "-o", str(html),
                 "--xlsx", str(book), "--lang", "en")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "2 venue(s)" in result.output and "imported more than once" in result.output
    page = html.read_text(encoding="utf-8")
    for section in ("venues", "reach", "awareness", "categories"):
        assert f'<section id="{section}"' in page
    assert "<script" not in page and "东城站" in page and "西城站" in page
    sheets = load_workbook(book).sheetnames
    assert sheets == ["Venues", "Reach", "Awareness", "Categories", "Satisfaction"]
    reach_rows = list(load_workbook(book)["Reach"].values)
    assert reach_rows[-1][0] == "Totals" and reach_rows[-1][1] == merged.reach.joined


def test_an_older_export_of_the_same_event_is_replaced(played: Played, tmp_path: Path) -> None:
    old = archive(played.database_url, played.event_one, tmp_path / "old.zip", "东城站")
    manifest = read_archive(old).manifest
    # The same event exported later with one more row: a newer archive of the same source.
    newer = tmp_path / "new.zip"
    with zipfile.ZipFile(old) as z:
        data = json.loads(z.read("data.json"))
    data["tables"]["quiz_event"][0]["slogan"] = "later"
    body = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    import hashlib

    manifest = {**manifest, "content_sha256": hashlib.sha256(body).hexdigest(),
                "exported": "2999-01-01T00:00:00+00:00"}  # fmt: skip
    with zipfile.ZipFile(newer, "w") as out:
        out.writestr("manifest.json", json.dumps(manifest))
        out.writestr("data.json", body)
    merged = merge_archives([newer, old])
    assert len(merged.venues) == 1 and merged.replaced == ("东城站",)
    assert merged.venues[0].content_hash == manifest["content_sha256"]
    assert merge_archives([old, newer]).venues[0].content_hash == manifest["content_sha256"]


def test_merge_errors_are_clear(tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    result = CliRunner().invoke(
        cli, ["report", "--merge", str(junk), "-o", str(tmp_path / "r.html")]
    )
    assert result.exit_code == 1 and "not an event archive" in result.output
    result = CliRunner().invoke(cli, ["report", "--merge", "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 2 and "at least one archive" in result.output
