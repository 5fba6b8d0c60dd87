"""Attacks by the crowd on the venue Wi-Fi, performed against a real ``quiz serve``: swapping
a nickname after the host looked, guessing seat codes, many fake phones from one address,
and the host role from another machine (docs/security.md, issue #15)."""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.conftest import LiveServer, Peer


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
