"""Attacks by the crowd on the venue Wi-Fi, performed against a real ``quiz serve``: swapping
a nickname after the host looked, guessing seat codes, many fake phones from one address,
and the host role from another machine (docs/security.md, issue #15)."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable

from quiz.models.live import SEAT_ALPHABET, SEAT_CODE_LENGTH
from quiz.testing.attacks import OTHER_ADDRESS, sio_connects, tcp_from, ws_open
from tests.conftest import LiveServer, Peer, connect_peer


def _shown_anywhere(peer: Peer, text: str) -> bool:
    return text in json.dumps(peer.received, ensure_ascii=False)


def test_an_approval_covers_only_the_name_the_host_saw(
    live_server: LiveServer, sio_peer: Callable[..., Peer]
) -> None:
    host = sio_peer(live_server, "host", token=live_server.token)
    display = sio_peer(live_server, "display")
    phone = sio_peer(live_server, "player")
    generated = phone.wait_for(lambda v: v, "audience_you")["shown"]
    assert phone.command("nickname", name="Alice")["ok"]
    seen = host.wait_for(lambda a: a["pending"], "audience_admin")["pending"][0]
    assert seen["requested"] == "Alice"
    # The phone swaps its request while the host is reading "Alice".
    assert phone.command("nickname", name="Mallory")["ok"]
    ack = host.command("approve_nickname", member=seen["member"], approve=True, name="Alice")
    assert not ack["ok"] and ack["error"]["code"] == "name_changed", ack
    # An approval without the text is no approval either.
    bare = host.command("approve_nickname", member=seen["member"], approve=True)
    assert not bare["ok"], bare
    assert phone.command("nickname", name="Alice")["ok"]  # and back: still needs a new look
    assert host.command("audience_screen", screen="leaderboard")["ok"]
    assert phone.last("audience_you")["shown"] == generated
    for text in ("Mallory", "Alice"):
        assert not _shown_anywhere(display, text), text
    host.wait_latest(
        lambda a: [p["requested"] for p in a["pending"]] == ["Alice"], "audience_admin"
    )


def _match_with_seats(server: LiveServer, sio_peer: Callable[..., Peer]) -> tuple[Peer, dict]:
    host = sio_peer(server, "host", token=server.token)
    host.wait_for(lambda c: True, "console")
    red = host.command("add_contestant", name="红方")["contestant_id"]
    blue = host.command("add_contestant", name="蓝方")["contestant_id"]
    created = host.command("create_match", red=red, blue=blue, filter={"kinds": ["single"]})
    assert created["ok"], created
    match_id = created["match_id"]
    console = host.wait_for(lambda c: any(s["match_id"] == match_id for s in c["seats"]), "console")
    return host, {s["side"]: s["code"] for s in console["seats"] if s["match_id"] == match_id}


def test_seat_guesses_are_locked_out_and_the_real_phone_still_binds(
    live_server: LiveServer, sio_peer: Callable[..., Peer]
) -> None:
    _host, codes = _match_with_seats(live_server, sio_peer)
    assert all(len(code) == SEAT_CODE_LENGTH for code in codes.values())
    rng = random.Random(15)
    guesses = ["".join(rng.choice(SEAT_ALPHABET) for _ in range(8)) for _ in range(400)]
    guesses[300] = codes["blue"]  # the guess that used to take an unbound seat on try 300
    auths = [{"v": 1, "role": "player", "device": "guesser-01", "seat": g} for g in guesses]
    sock, _ = ws_open(live_server.url, source=OTHER_ADDRESS)
    started = time.monotonic()
    try:
        answers = sio_connects(sock, auths, deadline_s=60)
    finally:
        sock.close()
    seconds = time.monotonic() - started
    assert len(answers) == len(guesses)
    checked = answers.count("unknown_seat")
    assert checked <= 8, answers[:20]  # three free, then back-off doubling from 1 s
    assert answers[300] == "seat_locked" and "ok" not in answers
    assert answers.count("seat_locked") >= 390
    # Fresh sockets from the same address: the address is locked out after a few more.
    fresh = []
    for _ in range(6):
        other, _ = ws_open(live_server.url, source=OTHER_ADDRESS)
        try:
            fresh += sio_connects(other, auths[:3])
        finally:
            other.close()
    assert fresh[-3:] == ["seat_locked"] * 3, fresh
    # The real phones, from their own address, still take their seats.
    for side in ("red", "blue"):
        phone = sio_peer(live_server, "player", seat=codes[side])
        assert phone.wait_for(lambda s: True)["seq"] >= 0
    assert "Traceback" not in live_server.output()
    # A refused guess is logged once per episode, not once per guess.
    assert live_server.output().count("refused seat code") <= 3, seconds


def _phone_from(server: LiveServer, source: str, device: str) -> Peer:
    """An audience phone whose socket comes from ``source`` (another loopback address)."""
    sock = tcp_from(server.url, source)
    options = {"websocket_extra_options": {"socket": sock}}
    return connect_peer(server.url, "player", client_options=options, device=device)


def test_fake_phones_of_one_address_win_no_more_than_the_cap(
    live_server: LiveServer, sio_peer: Callable[..., Peer]
) -> None:
    host = sio_peer(live_server, "host", token=live_server.token)
    host.wait_for(lambda c: True, "console")
    fakes = [_phone_from(live_server, OTHER_ADDRESS, f"fake-phone-{i:02}") for i in range(8)]
    honest = [sio_peer(live_server, "player") for _ in range(2)]
    try:
        # A ninth identity from that address within the minute is refused.
        ninth, _ = ws_open(live_server.url, source=OTHER_ADDRESS)
        try:
            auth = {"v": 1, "role": "player", "device": "fake-phone-99"}
            assert sio_connects(ninth, [auth]) == ["too_many_phones"]
        finally:
            ninth.close()
        assert host.command("audience_start")["ok"]
        asked = host.command("audience_next")
        assert asked["ok"], asked
        admin = host.wait_for(
            lambda a: (a["round"] or {}).get("round") == asked["round"], "audience_admin"
        )
        key = admin["round"]["key"]
        for phone in fakes + honest:
            ack = phone.command("answer", round=asked["round"], choices=key)
            assert ack["ok"], ack
        assert host.command("audience_close")["ok"]
        seen = host.wait_for(lambda a: a["clusters"], "audience_admin")["clusters"]
        assert [c["phones"] for c in seen] == [8]
        prepared = host.command("prepare_draw", prize="U盘", count=10, min_correct=1)
        assert prepared["ok"] and prepared["eligible"] == 2 + 2, prepared
        drawn = host.command("run_draw", draw=prepared["draw"], public_input="42")
        won = {w["nickname"] for w in drawn["winners"]}
        fake_names = {p.wait_for(lambda y: True, "audience_you")["shown"]["zh"] for p in fakes}
        assert len(won & fake_names) <= 2 and len(won) == 4
        # The host leaves the cluster out entirely: only the honest phones remain.
        excluded = host.command("exclude_address", address=seen[0]["address"])
        assert excluded["ok"] and excluded["clusters"][0]["excluded"], excluded
        again = host.command(
            "prepare_draw", prize="T恤", count=10, min_correct=1, exclude_winners=False
        )
        assert again["eligible"] == 2, again
    finally:
        for phone in fakes:
            phone.disconnect()


def test_commands_over_many_ids_from_one_address_are_limited(live_server: LiveServer) -> None:
    phones = [_phone_from(live_server, "127.0.0.3", f"spam-phone-{i}") for i in range(3)]
    try:
        acks = [p.command("answer", round="nope", choices=["A"]) for p in phones for _ in range(20)]
    finally:
        for phone in phones:
            phone.disconnect()
    limited = sum(1 for a in acks if (a.get("error") or {}).get("code") == "rate_limited")
    assert limited >= 10, [a.get("error") for a in acks][-5:]
