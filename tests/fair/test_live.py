"""Fair buzzing inside the live server (in process, hand-moved clock): sync exchanges complete
into the server's estimate, buzzes are compensated and bounded, receipts are settled, shown
to the host only, persisted with the log, restored after a restart and exported."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask

from quiz.app import hub_of
from quiz.live.clock import ManualClock
from quiz.live.hub import LiveHub
from quiz.live.receipts import receipts_command
from tests.server.conftest import TC, Live, start_match

COMMIT = {"commit_window_ms": 300}


def sync(live: Live, phone: TC, offset: float, rtt: float, n: int = 6) -> None:
    """``n`` exchanges: the phone's clock reads ``offset`` ms less than the server's and the
    network takes ``rtt / 2`` each way. Each exchange reports the previous one."""
    prev = None
    for _ in range(n):
        t0 = live.clock.value - offset - rtt / 2
        payload: dict[str, Any] = {"t0": t0}
        if prev is not None:
            payload["prev"] = prev
        ack = phone.client.emit("sync", payload, callback=True)
        assert "t1" in ack, ack
        prev = {"t0": t0, "t3": ack["t2"] - offset + rtt / 2}
        live.clock.advance(1000)


def buzz(live: Live, phone: TC, offset: float, press: int, arrival: int) -> dict[str, Any]:
    """Press at server time ``press``, arriving at ``arrival``; sends the phone's own time."""
    live.clock.value = arrival
    ack = phone.command("buzz", press_at=None, press_local=press - offset)
    assert ack["ok"], ack
    return ack


def receipts(live: Live) -> list[dict[str, Any]]:
    fair = live.host.last()["match"]["fair"]
    return list(fair["receipts"])


def open_now(live: Live) -> int:
    live.host.host("show_question")
    live.host.host("open_buzzing")
    opens_at = live.host.last()["match"]["engine"]["opens_at"]
    assert live.host.last()["match"]["phase"] == "buzzing"
    return int(opens_at)


@pytest.fixture
def fair_live(connect: Callable[..., TC], hub: LiveHub, clock: ManualClock) -> Live:
    return start_match(connect, hub, clock, rules=COMMIT)


def test_sync_reports_complete_the_servers_own_samples(fair_live: Live) -> None:
    live = fair_live
    sync(live, live.red, offset=500_000.0, rtt=80)
    est = live.hub.fair.syncs["red-phone-1"].estimate
    assert est is not None
    assert est.offset_ms == pytest.approx(500_000.0)
    assert est.rtt_min_ms == pytest.approx(80)
    assert est.samples == 5  # the sixth exchange is reported by the next one


def test_only_contestant_phones_are_tracked(fair_live: Live) -> None:
    sync(fair_live, fair_live.audience, offset=1.0, rtt=10)
    sync(fair_live, fair_live.display, offset=1.0, rtt=10)
    assert set(fair_live.hub.fair.syncs) == set()


@pytest.mark.parametrize(
    "prev",
    [{"t0": "1"}, {"t0": 1}, [1, 2], {"t0": 1, "t3": float("nan")}, {"t0": True, "t3": 2}],
)
def test_a_malformed_report_is_refused(fair_live: Live, prev: Any) -> None:
    ack = fair_live.red.client.emit("sync", {"t0": 5.0, "prev": prev}, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid"


def test_impossible_or_unknown_reports_change_nothing(fair_live: Live) -> None:
    live = fair_live
    emit = live.red.client.emit
    first = emit("sync", {"t0": 100.0}, callback=True)
    emit("sync", {"t0": 200.0, "prev": {"t0": 100.0, "t3": 50.0}}, callback=True)  # t3 < t0
    emit("sync", {"t0": 300.0, "prev": {"t0": 12345.0, "t3": 12399.0}}, callback=True)  # never
    assert (
        "red-phone-1" not in live.hub.fair.syncs or not live.hub.fair.syncs["red-phone-1"].samples
    )
    assert first["t1"] == live.clock.value


def test_the_earlier_press_wins_though_it_arrives_later(fair_live: Live) -> None:
    live = fair_live
    sync(live, live.red, offset=9_000_000.0, rtt=300)  # 150 ms each way
    sync(live, live.blue, offset=-4_000.0, rtt=10)
    opens = open_now(live)
    press = opens + 400
    buzz(live, live.blue, -4_000.0, press + 20, press + 25)
    assert live.host.last()["match"]["phase"] == "arbitrating"
    buzz(live, live.red, 9_000_000.0, press, press + 150)
    state = live.host.last()["match"]
    assert state["phase"] == "answering" and state["engine"]["answering"] == "red"
    red, blue = sorted(receipts(live)[-2:], key=lambda r: r["side"] != "red")
    assert red["outcome"] == "won" and blue["outcome"] == "lost"
    assert red["press_server_ms"] == press and blue["press_server_ms"] == press + 20
    assert red["arrival_ms"] == press + 150 and red["press_device_ms"] == press - 9_000_000
    assert red["margin_ms"] == 20 and red["runner_up"] == "blue"
    assert red["source"] == "device_clock" and red["rule"] == "compensated"
    assert red["rtt_ms"] == pytest.approx(300) and red["offset_ms"] == pytest.approx(9_000_000)
    assert red["commit_window_ms"] == 300 and 200 <= red["derived_window_ms"] <= 300
    assert red["clamp"] is None and red["uncertainty_ms"] >= 1
    assert red["decided_at"] == press + 150 and red["question_id"]


def test_with_compensation_off_arrival_order_decides(
    connect: Callable[..., TC], hub: LiveHub, clock: ManualClock
) -> None:
    live = start_match(connect, hub, clock, rules=COMMIT, compensation=False)
    sync(live, live.red, offset=0.0, rtt=300)
    sync(live, live.blue, offset=0.0, rtt=10)
    opens = open_now(live)
    press = opens + 400
    buzz(live, live.blue, 0.0, press + 20, press + 25)
    buzz(live, live.red, 0.0, press, press + 150)
    assert live.host.last()["match"]["engine"]["answering"] == "blue"
    fair = live.host.last()["match"]["fair"]
    assert fair["compensation"] is False and fair["rule"] == "arrival"
    red = [r for r in fair["receipts"] if r["side"] == "red"][-1]
    assert red["rule"] == "arrival" and red["press_server_ms"] == red["arrival_ms"]
    assert red["press_claimed_ms"] == press  # what compensation would have used


def test_without_a_commit_window_there_is_nothing_to_rank(
    connect: Callable[..., TC], hub: LiveHub, clock: ManualClock
) -> None:
    live = start_match(connect, hub, clock)
    sync(live, live.red, offset=0.0, rtt=300)
    open_now(live)
    buzz(live, live.red, 0.0, live.clock.value + 100, live.clock.value + 250)
    fair = live.host.last()["match"]["fair"]
    assert fair["compensation"] is True and fair["rule"] == "arrival"
    assert fair["receipts"][-1]["rule"] == "arrival"


def test_receipts_are_for_the_host_console_only(fair_live: Live) -> None:
    live = fair_live
    sync(live, live.red, offset=0.0, rtt=20)
    opens = open_now(live)
    buzz(live, live.red, 0.0, opens + 300, opens + 310)
    assert receipts(live)
    for name, client in live.viewers().items():
        assert "fair" not in (client.last()["match"] or {}), name
        assert "red-phone-1" not in json.dumps(client.last()), name


def test_a_forged_early_press_is_clamped_and_flagged(fair_live: Live) -> None:
    live = fair_live
    sync(live, live.red, offset=0.0, rtt=80)
    opens = open_now(live)
    buzz(live, live.red, 0.0, opens + 100, opens + 1040)  # really pressed at opens + 1000
    r = receipts(live)[-1]
    assert r["clamp"] == "too_early"
    assert r["press_server_ms"] == opens + 1040 - 80 - 50
    assert r["clamped_by_ms"] == pytest.approx(810)


def test_a_forged_claim_before_the_opening_becomes_a_violation(fair_live: Live) -> None:
    live = fair_live
    sync(live, live.red, offset=0.0, rtt=80)
    opens = open_now(live)
    buzz(live, live.red, 0.0, opens - 5_000, opens + 60)
    r = receipts(live)[-1]
    assert r["clamp"] == "too_early" and r["outcome"] == "early"
    assert r["early_ms"] == 70  # placed at arrival - rtt - margin, before the opening


def test_a_press_before_a_synchronised_opening_is_early_by_its_ms(
    connect: Callable[..., TC], hub: LiveHub, clock: ManualClock
) -> None:
    live = start_match(connect, hub, clock, rules={**COMMIT, "open_lead_ms": 800})
    sync(live, live.red, offset=0.0, rtt=40)
    live.host.host("show_question")
    live.host.host("open_buzzing")
    opens = live.host.last()["match"]["engine"]["opens_at"]
    assert live.host.last()["match"]["phase"] == "countdown"
    buzz(live, live.red, 0.0, opens - 37, opens - 17)
    r = receipts(live)[-1]
    assert r["outcome"] == "early" and r["early_ms"] == 37 and r["clamp"] is None


def test_a_race_too_close_to_call_goes_to_the_host_and_says_so(fair_live: Live) -> None:
    live = fair_live
    sync(live, live.red, offset=0.0, rtt=40)
    sync(live, live.blue, offset=0.0, rtt=40)
    opens = open_now(live)
    buzz(live, live.blue, 0.0, opens + 301, opens + 321)
    buzz(live, live.red, 0.0, opens + 300, opens + 322)
    assert live.host.last()["match"]["phase"] == "tie"
    tied = receipts(live)[-2:]
    assert {r["outcome"] for r in tied} == {"tie"} and {r["tie_rule"] for r in tied} == {"host"}
    assert all(r["margin_ms"] == 1 for r in tied)
    live.host.host("resolve_tie", side="blue")
    after = {r["side"]: r for r in receipts(live)[-2:]}
    assert after["blue"]["outcome"] == "won" and after["red"]["outcome"] == "lost"
    assert after["blue"]["tie_rule"] == "host"


def test_a_buzz_after_the_window_is_late_and_the_race_was_already_decided(
    fair_live: Live,
) -> None:
    live = fair_live
    sync(live, live.red, offset=0.0, rtt=40)
    sync(live, live.blue, offset=0.0, rtt=40)
    opens = open_now(live)
    buzz(live, live.blue, 0.0, opens + 200, opens + 220)
    buzz(live, live.red, 0.0, opens + 100, opens + 220 + 301)  # the window has closed
    by_side = {r["side"]: r for r in receipts(live)[-2:]}
    assert by_side["blue"]["outcome"] == "won" and by_side["blue"]["decided_at"] == opens + 520
    assert by_side["red"]["outcome"] == "rejected" and by_side["red"]["reason"] == "late"


def test_an_unsynced_phone_is_placed_half_its_round_trip_before_arrival(fair_live: Live) -> None:
    live = fair_live
    ack = live.red.client.emit("sync", {"t0": 1.0, "rtt": 120}, callback=True)
    assert ack["t1"]
    opens = open_now(live)
    live.clock.value = opens + 700
    assert live.red.command("buzz", press_at=None)["ok"]
    r = receipts(live)[-1]
    assert r["source"] == "arrival_half_rtt" and r["press_server_ms"] == opens + 640
    assert r["uncertainty_ms"] == 60


def test_receipts_are_logged_restored_after_a_restart_and_exported(
    fair_live: Live, make_app: Callable[..., Flask], app: Flask, tmp_path: Any
) -> None:
    live = fair_live
    sync(live, live.red, offset=0.0, rtt=40)
    sync(live, live.blue, offset=0.0, rtt=40)
    opens = open_now(live)
    buzz(live, live.blue, 0.0, opens + 250, opens + 270)
    buzz(live, live.red, 0.0, opens + 200, opens + 280)
    before = live.hub.current
    assert before is not None
    logged = [
        e
        for row in live.hub.matches.log_entries(live.match_id)
        for e in row.events
        if e["type"] == "buzz_receipt"
    ]
    # The first buzz's pending receipt, then the second's and the first's settled ones.
    assert [(e["number"], e["outcome"]) for e in logged] == [
        (1, "pending"),
        (2, "won"),
        (1, "lost"),
    ]
    hub_of(app).stop()
    restarted = hub_of(make_app()).current
    assert restarted is not None and restarted.fair.receipts == before.fair.receipts

    url = app.config["DATABASE_URL"]
    out = CliRunner().invoke(receipts_command, [str(live.match_id), "--database-url", url])
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(io.StringIO(out.output)))
    assert [r["outcome"] for r in rows] == ["lost", "won"]
    assert rows[1]["side"] == "red" and rows[1]["margin_ms"] == "50"
    target = tmp_path / "receipts.jsonl"
    out = CliRunner().invoke(
        receipts_command,
        [str(live.match_id), "--database-url", url, "--format", "json", "-o", str(target)],
    )
    assert out.exit_code == 0
    lines = target.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["number"] for line in lines] == [1, 2]
    missing = CliRunner().invoke(receipts_command, ["999", "--database-url", url])
    assert missing.exit_code != 0 and "no buzz receipts" in missing.output


def _latency(live: Live, side: str) -> Any:
    console = live.host.last("console")
    return next(s for s in console["seats"] if s["side"] == side)["latency_ms"]


def test_console_latencies_follow_the_receipts_estimate_without_admin_changes(
    fair_live: Live,
) -> None:
    """The latency column is the round trip the receipts believe, re-sent by the ticker (at
    least every second) when it moved, and only then; never while a race may run."""
    live = fair_live
    sync(live, live.red, offset=0, rtt=40, n=8)
    live.tick(1500)
    believed = live.hub.fair.believed_rtt("red-phone-1")
    assert believed is not None and 35 <= believed <= 45
    assert _latency(live, "red") == round(believed, 1)

    sent = len(live.host.all("console"))
    live.tick(1500)
    assert len(live.host.all("console")) == sent  # nothing moved: nothing sent

    sync(live, live.red, offset=0, rtt=200, n=12)  # the phone's link got slow
    live.tick(1500)
    slow = live.hub.fair.believed_rtt("red-phone-1")
    assert slow is not None and slow >= 150
    assert _latency(live, "red") == round(slow, 1)

    # While buzzing is open the console is not rebuilt (the loop belongs to the buzzes)...
    open_now(live)
    sent = len(live.host.all("console"))
    live.hub.host_console.estimate = lambda _device: 999.0  # the estimate moves meanwhile
    live.tick(1500)
    assert len(live.host.all("console")) == sent
    # ...and it catches up as soon as the race is over.
    live.host.host("void")
    live.tick(1500)
    assert len(live.host.all("console")) > sent
    assert _latency(live, "red") == 999.0
