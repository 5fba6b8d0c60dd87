"""The satisfaction survey end to end against a live ``quiz serve`` over real sockets: the host
opens it, audience phones answer (one answer each, a resend replaces it, bad input refused),
the host and the LED see the counts, the survey closes, and the report (HTML, CSV, XLSX)
counts exactly what the phones sent; the free text reaches only the report, escaped."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from openpyxl import load_workbook

from tests.conftest import LiveServer, Peer, stop_server

pytestmark = [pytest.mark.e2e]

PHONES = 20
COMMENT = "<script>alert(1)</script>很好"


def rating_of(i: int) -> int:
    return 1 + (i * 7) % 5


def choices_of(i: int) -> dict[str, str]:
    out = {"learned": "ABC"[i % 3]}
    if i % 2:
        out["again"] = "AB"[i % 4 // 2]
    return out


def test_phones_take_the_survey_and_the_report_counts_them(
    live_server: LiveServer, sio_peer: Callable[..., Peer]
) -> None:
    host = sio_peer(live_server, "host", token=live_server.token)
    wall = sio_peer(live_server, "display")
    phones = [sio_peer(live_server, "player") for _ in range(PHONES)]
    event_id = host.wait_for(lambda s: s.get("event"))["event"]["id"]

    early = phones[0].command("survey_answer", rating=5)
    assert not early["ok"] and early["error"]["code"] == "no_survey"
    assert host.command("survey_stop")["error"]["code"] == "no_survey"

    started = host.command("survey_start")
    assert started["ok"] and started["questions"] == 2, started
    for phone in phones:
        phone.wait_for(lambda s: s["open"] and s["survey"]["questions"], "survey")
    wall.wait_for(lambda s: s["screen"] == "survey", "audience_screen")
    # Only audience phones answer; nobody else.
    assert host.command("survey_answer", rating=3)["error"]["code"] == "forbidden"
    assert wall.command("survey_answer", rating=3)["error"]["code"] == "forbidden"

    def answer(i: int) -> dict[str, object]:
        comment = {"comment": COMMENT} if i == 3 else {}
        return phones[i].command(
            "survey_answer", rating=rating_of(i), choices=choices_of(i), **comment
        )

    with ThreadPoolExecutor(max_workers=10) as pool:
        acks = list(pool.map(answer, range(PHONES)))
    assert all(a["ok"] and a["verdict"] == "accepted" for a in acks), acks

    # Bad input changes nothing.
    for bad, code in [
        ({"rating": 6}, "invalid"),
        ({"rating": 3, "choices": {"learned": "Z"}}, "invalid"),
        ({"rating": 3, "choices": {"nope": "A"}}, "invalid"),
        ({"rating": 3, "comment": "长" * 150}, "comment_too_long"),
        ({"rating": "5"}, "invalid"),
    ]:
        ack = phones[0].command("survey_answer", **bad)
        assert not ack["ok"] and ack["error"]["code"] == code, (bad, ack)
    # One answer per phone: the same again is unchanged, a new one replaces it.
    same = phones[1].command("survey_answer", rating=rating_of(1), choices=choices_of(1))
    assert same["verdict"] == "unchanged"
    changed = phones[2].command("survey_answer", rating=5, choices={"learned": "A"})
    assert changed["verdict"] == "changed"

    ratings = {i: rating_of(i) for i in range(PHONES)}
    picks = {i: choices_of(i) for i in range(PHONES)}
    ratings[2], picks[2] = 5, {"learned": "A"}
    mean = round(sum(ratings.values()) / PHONES, 2)
    dist = {str(r): sum(1 for v in ratings.values() if v == r) for r in range(1, 6)}

    seen = host.wait_latest(
        lambda s: s["result"] and s["result"]["answered"] == PHONES and s["result"]["mean"] == mean,
        "survey",
    )
    assert seen["result"]["distribution"] == dist
    wall.wait_latest(lambda s: s["result"]["distribution"] == dist, "survey")
    # The free text never leaves the server to any page.
    for peer in (host, wall, phones[3]):
        assert all(COMMENT not in str(m) for m in peer.all("survey"))

    stopped = host.command("survey_stop")
    assert stopped["ok"] and stopped["answered"] == PHONES
    late = phones[5].command("survey_answer", rating=1)
    assert late["error"]["code"] == "closed"
    phones[5].wait_latest(lambda s: s["open"] is False, "survey")

    # The report's numbers equal what was sent.
    query = f"event={event_id}&lang=en&token={live_server.token}"
    page = requests.get(f"{live_server.url}/host/report?{query}", timeout=30)
    assert page.status_code == 200
    html = page.text
    assert f'data-testid="survey-answered">{PHONES}<' in html
    assert f'data-testid="survey-mean">{mean:.2f}<' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;很好" in html and COMMENT not in html
    sheet = requests.get(f"{live_server.url}/host/report.csv?{query}&table=survey", timeout=30)
    rows = list(csv.reader(io.StringIO(sheet.content.decode("utf-8-sig"))))
    counts = {(r[0], r[1]): r[2] for r in rows[1:]}
    for r in range(1, 6):
        assert counts[("Rating", str(r))] == str(dist[str(r)])
    learned = {k: sum(1 for p in picks.values() if p.get("learned") == k) for k in "ABC"}
    again = {k: sum(1 for p in picks.values() if p.get("again") == k) for k in "ABC"}
    prompts = {r[0] for r in rows[1:]}
    learned_rows = {r[1][0]: int(r[2]) for r in rows[1:] if r[0].startswith("Do you now know")}
    again_rows = {r[1][0]: int(r[2]) for r in rows[1:] if r[0].startswith("Would you")}
    assert learned_rows == learned and again_rows == again, prompts
    book = requests.get(f"{live_server.url}/host/report.xlsx?{query}", timeout=30)
    workbook = load_workbook(io.BytesIO(book.content))
    comments = [c.value for c in workbook["Survey comments"]["A"][1:]]
    assert comments == [COMMENT]


def test_survey_answers_are_rate_limited(
    live_server: LiveServer, sio_peer: Callable[..., Peer]
) -> None:
    host = sio_peer(live_server, "host", token=live_server.token)
    phone = sio_peer(live_server, "player")
    assert host.command("survey_start")["ok"]
    phone.wait_for(lambda s: s["open"], "survey")
    # In parallel: each answer waits for its batch (up to 50 ms), longer than the refill.
    with ThreadPoolExecutor(max_workers=40) as pool:
        acks = list(pool.map(lambda i: phone.command("survey_answer", rating=1 + i % 5), range(40)))
    codes = [a.get("error", {}).get("code") for a in acks]
    assert "rate_limited" in codes
    assert all(a["ok"] or a["error"]["code"] == "rate_limited" for a in acks), codes


def test_the_survey_survives_a_restart_and_the_organisers_file_is_checked(
    live_server_factory: Callable[..., LiveServer], sio_peer: Callable[..., Peer], tmp_path: Path
) -> None:
    mine = tmp_path / "survey.yaml"  # the data folder's survey.yaml overrides the bundled one
    mine.write_text("title: 我们的调查\nquestions:\n  - prompt: 好吗\n    options: [好]\n", "utf-8")
    server = live_server_factory()
    host = sio_peer(server, "host", token=server.token)
    refused = host.command("survey_start")
    assert refused["error"]["code"] == "invalid"
    assert f"{mine}:4:14: options: a list of 2-6 texts" in refused["error"]["message"]
    mine.write_text("title: 我们的调查\nrating: 打分\n", "utf-8")
    assert host.command("survey_start")["questions"] == 0
    phone = sio_peer(server, "player", device="survey-phone-1")
    phone.wait_for(lambda s: s["open"] and s["survey"]["title"]["zh"] == "我们的调查", "survey")
    assert phone.command("survey_answer", rating=2)["verdict"] == "accepted"
    host.wait_latest(lambda s: s["result"]["answered"] == 1, "survey")

    stop_server(server)
    again = live_server_factory(database_url=server.database_url, token=server.token)
    host = sio_peer(again, "host", token=again.token)
    seen = host.wait_for(lambda s: s["survey"] is not None, "survey")
    assert seen["open"] and seen["result"]["answered"] == 1 and seen["result"]["mean"] == 2
    # The same phone is the same phone: its answer is replaced, never counted twice.
    phone = sio_peer(again, "player", device="survey-phone-1")
    assert phone.command("survey_answer", rating=2)["verdict"] == "unchanged"
    assert phone.command("survey_answer", rating=4)["verdict"] == "changed"
    host.wait_latest(lambda s: s["result"]["answered"] == 1 and s["result"]["mean"] == 4, "survey")
