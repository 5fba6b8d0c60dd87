"""Nothing a phone typed reaches the LED wall unless the host approved it: audience nicknames
wait for the host (the audience desk's approval queue), and every other string a phone can
send (device ids, command ids, stray arguments, seat codes) never leaves the server towards
the wall at all."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quiz.live.hub import LiveHub
from tests.server.conftest import TC, Live, start_match

MARK = "骗子ZQX"
TYPED = f"  <b>{MARK}</b>\u202e\x07 "
CLEANED = f"<b>{MARK}</b>"  # control and bidi characters stripped, HTML left to the renderer


def _wall(display: TC) -> str:
    """Everything the LED wall received, as one text."""
    return json.dumps([m["args"] for m in display.drain()], ensure_ascii=False)


def _scored_audience_phone(live: Live) -> None:
    """The audience phone answers a question right, so it is on the leaderboard."""
    live.host.host("show_question")
    answer = live.host.last()["match"]["question"]["answer"]
    ack = live.audience.command("answer", choices=answer)
    assert ack["ok"], ack
    live.host.host("open_buzzing")
    assert live.red.command("buzz", press_at=None)["ok"]
    live.tick(1000)
    assert live.red.command("choice", choices=answer)["ok"]
    live.tick(1000)
    assert live.host.command("audience_screen", screen="leaderboard")["ok"]


def test_a_nickname_reaches_the_wall_only_after_the_host_approves(
    connect: Callable[..., TC], hub: LiveHub
) -> None:
    live = start_match(connect, hub, hub.clock, rules={"commit_window_ms": 0})  # type: ignore[arg-type]
    _scored_audience_phone(live)
    board = live.display.last("audience_screen")["leaderboard"]["rows"]
    assert len(board) == 1 and MARK not in json.dumps(board, ensure_ascii=False)

    ack = live.audience.command("nickname", name=TYPED)
    assert ack["ok"] and ack["pending"] is True and ack["nickname"] == CLEANED
    live.tick(2000)
    assert MARK not in _wall(live.display)
    pending = live.host.last("audience_admin")["pending"]
    assert [p["requested"] for p in pending] == [CLEANED]

    approved = live.host.command(
        "approve_nickname", member=pending[0]["member"], approve=True, name=CLEANED
    )
    assert approved["ok"], approved
    board = live.display.last("audience_screen")["leaderboard"]["rows"]
    assert [row["name"]["zh"] for row in board] == [CLEANED]
    assert "\u202e" not in _wall(live.display)


def test_a_rejected_nickname_never_reaches_the_wall(
    connect: Callable[..., TC], hub: LiveHub
) -> None:
    live = start_match(connect, hub, hub.clock, rules={"commit_window_ms": 0})  # type: ignore[arg-type]
    _scored_audience_phone(live)
    live.display.clear()
    assert live.audience.command("nickname", name=TYPED)["ok"]
    member = live.host.last("audience_admin")["pending"][0]["member"]
    assert live.host.command("approve_nickname", member=member, approve=False)["ok"]
    live.tick(2000)
    assert MARK not in _wall(live.display)
    assert live.host.last("audience_admin")["pending"] == []


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(extra=st.dictionaries(st.sampled_from(["name", "side", "nickname", "text"]), st.just(MARK)))
def test_nothing_else_a_phone_types_reaches_the_wall(live: Live, extra: dict[str, Any]) -> None:
    live.display.clear()
    for phone in (live.red, live.blue, live.audience):
        for type in ("buzz", "choice", "answer", "nickname", "guess", f"say-{MARK}"):
            phone.send({"id": f"{MARK}-{type}", "type": type, **extra})
        phone.client.emit("sync", {"t0": 1, "note": MARK}, callback=True)
    live.tick(600)
    # The nickname requests are pending; everything else was refused or carried no text.
    assert MARK not in _wall(live.display)


def test_device_ids_never_reach_the_wall(connect: Callable[..., TC], hub: LiveHub) -> None:
    live = start_match(connect, hub, hub.clock)  # type: ignore[arg-type]
    phone = connect("player", device=f"audience-{MARK.encode().hex()}")
    seated = connect("player", seat=live.codes["red"], device=f"red-{MARK.encode().hex()}")
    assert phone.connected and not seated.connected  # another phone's seat: host is asked
    live.host.host("show_question")
    assert MARK.encode().hex() in json.dumps(live.host.last("console"))  # the host sees it
    assert MARK.encode().hex() not in _wall(live.display)
