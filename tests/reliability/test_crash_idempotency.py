"""Admin and tournament commands resent after ``kill -9``: applied once, answered the same.

Every admin command type of docs/protocol.md §4 and every tournament command of §12 is sent
to a ``quiz serve`` subprocess, the server is SIGKILLed either after the ack arrived or a
random 0-30 ms after the command left (before its ack), restarted on the same database, and
the command is sent again with the same ``id`` from the same host device. The resend must get
the original ack (same contestant id, match id, seat code, ...) and the database must hold the
change exactly once (rows counted with ``sqlite3`` next to the running server).
"""

from __future__ import annotations

import random
import sqlite3
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import socketio

from tests.conftest import LiveServer, Peer
from tests.reliability.harness import kill9, restart, save_figures

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

HOST_DEVICE = "host-crash-laptop"
#: Fields of an ack that name what the command created or touched.
KEYS = (
    "ok",
    "event_id",
    "contestant_id",
    "match_id",
    "code",
    "tournament_id",
    "pairing",
    "seats",
    "action",
    "reset",
    "undone",
    "next",
)


class Rig:
    """One server (restarted in place) and the host's socket, reconnected after each kill."""

    def __init__(self, start: Callable[..., LiveServer], connect: Callable[..., Peer]) -> None:
        self.start = start
        self.connect = connect
        self.server = start()
        self.host = self._host()
        self.rng = random.Random(21)
        self.cycles: list[dict[str, Any]] = []

    def _host(self) -> Peer:
        host = self.connect(self.server, "host", token=self.server.token, device=HOST_DEVICE)
        host.wait_for(lambda c: True, name="console")
        return host

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.server.database_url.removeprefix("sqlite:///"), timeout=5)

    def count(self, sql: str, *args: Any) -> int:
        with self.db() as db:
            return int(db.execute(sql, args).fetchone()[0])

    def call(self, payload: dict[str, Any]) -> dict[str, Any]:
        ack: dict[str, Any] = self.host.client.call("command", payload, timeout=10)
        return ack

    def crash_resend(self, type: str, *, before_ack: bool, **args: Any) -> dict[str, Any]:
        """Send, SIGKILL (after the ack or while it may be in flight), restart, resend."""
        payload = {"id": f"crash-{uuid.uuid4().hex[:12]}", "type": type, **args}
        first: dict[str, Any] | None = None
        delay_ms = 0.0
        if before_ack:
            delay_ms = self.rng.uniform(0, 30)
            self.host.client.emit("command", payload)
            time.sleep(delay_ms / 1000)
        else:
            first = self.call(payload)
            assert first.get("ok"), (type, first)
        kill9(self.server)
        self.server, _accepted = restart(self.server, self.start)
        self.host = self._host()
        again = self.call(payload)
        assert again.get("ok"), (type, again)
        if first is not None:
            assert {k: again.get(k) for k in KEYS} == {k: first.get(k) for k in KEYS}, type
        self.cycles.append({"type": type, "before_ack": before_ack, "delay_ms": round(delay_ms, 1)})
        # A third send in the same run: answered from memory, still the same.
        assert self.call(payload) == again
        return again


def test_every_admin_and_tournament_command_survives_kill9_and_resend(
    live_server_factory: Callable[..., LiveServer], sio_peer: Callable[..., Peer]
) -> None:
    rig = Rig(live_server_factory, sio_peer)
    for before in (False, True):
        title = f"crash event {before}"
        event_id = rig.crash_resend("create_event", before_ack=before, title=title)["event_id"]
        assert rig.count("SELECT count(*) FROM quiz_event WHERE title = ?", title) == 1

    people = {}
    for n, name in enumerate(("甲", "乙", "丙", "丁")):
        people[name] = rig.crash_resend("add_contestant", before_ack=n % 2 == 1, name=name)[
            "contestant_id"
        ]
        assert rig.count("SELECT count(*) FROM contestant WHERE name = ?", name) == 1
    a, b, c, d = people.values()

    matches = []
    for before in (False, True):
        ack = rig.crash_resend("create_match", before_ack=before, red=a, blue=b, seed="crash")
        matches.append(ack["match_id"])
        assert rig.count("SELECT count(*) FROM live_match WHERE event_id = ?", event_id) == len(
            matches
        )
    match_id = matches[0]

    for before in (False, True):
        seats = rig.count("SELECT count(*) FROM seat WHERE match_id = ? AND side='red'", match_id)
        code = rig.crash_resend("issue_seat", before_ack=before, match_id=match_id, side="red")[
            "code"
        ]
        # One new seat code, and it is the one in force: the phone given it is not cut off.
        assert (
            rig.count("SELECT count(*) FROM seat WHERE match_id = ? AND side='red'", match_id)
            == seats + 1
        )
        with rig.db() as db:
            active = db.execute(
                "SELECT code FROM seat WHERE match_id = ? AND side='red' AND NOT revoked",
                (match_id,),
            ).fetchall()
        assert active == [(code,)]

    # A takeover: a phone holds the red seat, another asks for it, the host approves.
    holder = sio_peer(rig.server, "player", seat=code, device="red-phone-a")
    holder.wait_for(lambda s: True)
    with pytest.raises(socketio.exceptions.ConnectionError):  # refused: the host is asked
        sio_peer(rig.server, "player", seat=code, device="red-phone-b")
    rig.host.wait_for(lambda c: bool(c["takeovers"]), name="console")
    moved = rig.crash_resend(
        "approve_takeover", before_ack=False, match_id=match_id, side="red", device="red-phone-b"
    )
    assert moved["code"] == code
    with rig.db() as db:
        assert db.execute("SELECT device_id FROM seat WHERE code = ?", (code,)).fetchall() == [
            ("red-phone-b",)
        ]
    # Denying changes nothing stored; the request itself is in memory, so after a restart the
    # resend finds none: refused, nothing applied (docs/reliability.md).
    with pytest.raises(socketio.exceptions.ConnectionError):  # refused: the host is asked
        sio_peer(rig.server, "player", seat=code, device="red-phone-c")
    rig.host.wait_for(lambda c: bool(c["takeovers"]), name="console")
    deny = {"id": "deny-1", "type": "deny_takeover", "match_id": match_id, "side": "red"}
    deny["device"] = "red-phone-c"
    assert rig.call(deny)["ok"]
    kill9(rig.server)
    rig.server, _ = restart(rig.server, rig.start)
    rig.host = rig._host()
    assert rig.call(deny)["error"]["code"] == "not_found"

    for before in (False, True):
        rig.crash_resend("start_match", before_ack=before, match_id=matches[0])
        assert rig.count("SELECT count(*) FROM live_match WHERE status = 'live'") == 1
        rig.crash_resend("abort_match", before_ack=before, match_id=matches[0])
        assert rig.count("SELECT status = 'aborted' FROM live_match WHERE id = ?", matches[0])
        matches.pop(0)
        if not matches:
            break

    # The tournament (§12): a manual one, so that every command has something to do.
    made = rig.crash_resend(
        "create_tournament",
        before_ack=False,
        format="manual",
        entrants=[a, b, c, d],
        pairings=[[a, b]],
    )
    assert rig.count("SELECT count(*) FROM tournament") == 1
    rev = rig.count("SELECT rev FROM tournament WHERE id = ?", made["tournament_id"])
    for before in (False, True):
        rig.crash_resend("add_pairing", before_ack=before, red=c, blue=d, round=2 + before)
        rev += 1
        assert rig.count("SELECT rev FROM tournament") == rev
    live_before = rig.count("SELECT count(*) FROM live_match")
    started = rig.crash_resend("start_next_match", before_ack=True)
    assert rig.count("SELECT count(*) FROM live_match") == live_before + 1
    assert rig.count("SELECT count(*) FROM tournament_match") == 1
    assert sorted(started["seats"]) == ["blue", "red"]
    assert rig.call({"id": "abort-t", "type": "abort_match", "match_id": started["match_id"]})["ok"]
    rev = rig.count("SELECT rev FROM tournament")
    pairing = started["pairing"]
    for before in (False, True):
        for type, args in (
            ("correct_result", {"pairing": pairing, "winner": "red", "games": [2, 0]}),
            ("clear_result", {"pairing": pairing}),
        ):
            rig.crash_resend(type, before_ack=before, **args)
            rev += 1
            assert rig.count("SELECT rev FROM tournament") == rev, type
    rig.crash_resend("undo_tournament", before_ack=False)
    assert rig.count("SELECT rev FROM tournament") == rev + 1

    # Nothing left unacknowledged or stored twice: one stored ack per applied command id.
    assert (
        rig.count(
            "SELECT count(*) FROM (SELECT sender, command_id FROM command_ack "
            "GROUP BY sender, command_id HAVING count(*) > 1)"
        )
        == 0
    )
    kinds = sorted({c["type"] for c in rig.cycles})
    save_figures(
        "crash_idempotency",
        {
            "kills": len(rig.cycles) + 1,
            "before_ack": sum(c["before_ack"] for c in rig.cycles),
            "after_ack": sum(not c["before_ack"] for c in rig.cycles),
            "command_types": kinds,
            "cycles": rig.cycles,
        },
    )
