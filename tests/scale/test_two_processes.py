"""Two ``quiz serve`` processes sharing one real ``redis-server`` and one database
(docs/scale-out.md): the host runs the match on process A, phones on process B play in it.

Process A starts first and so holds the owner lease; B relays. Checked over real WebSockets:
B's contestant phone binds, sees every state, and its buzz and answer count; two buzzes
arriving at the same moment through A and B get exactly one winner; B's audience guess is in
the tally; B's disconnects reach the owner; and when A dies, B takes over from the log.
"""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LiveServer, Peer

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

OWNER_KEY = "quiz:cluster:owner"
# quiz serve refuses a --token with less than 128 bits (32 hex characters).
SHARED_TOKEN = "5e1f0c2a9b7d4e3f8a6c1b0d2e4f6a8c"


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (.ci/run installs it with apt-get)")
    from bench.servers import start_redis

    server = start_redis(tmp_path)
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def pair(
    redis_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    live_server_factory: Callable[..., LiveServer],
) -> tuple[LiveServer, LiveServer]:
    """Process A (started first: the owner) and process B (a relay) on one SQLite file."""
    monkeypatch.setenv("REDIS_URL", redis_url)
    database_url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    a = live_server_factory(database_url=database_url, token=SHARED_TOKEN)
    b = live_server_factory(database_url=database_url, token=SHARED_TOKEN)
    return a, b


def _owner(redis_url: str) -> str | None:
    import redis

    value = redis.Redis.from_url(redis_url, decode_responses=True).get(OWNER_KEY)
    return None if value is None else str(value)


def _pid_of(node: str | None) -> int | None:
    # Node ids are "<host>:<pid>:<random>".
    return int(node.split(":")[1]) if node else None


def _setup(a: LiveServer, b: LiveServer, sio_peer: Callable[..., Peer]) -> dict[str, Any]:
    host = sio_peer(a, "host", token=a.token)
    display = sio_peer(a, "display")
    host.wait_for(lambda c: True, name="console")
    red_id = host.command("add_contestant", name="红方")["contestant_id"]
    blue_id = host.command("add_contestant", name="蓝方")["contestant_id"]
    created = host.command(
        "create_match", red=red_id, blue=blue_id, filter={"kinds": ["single"]}, seed="scale"
    )
    assert created["ok"], created
    match_id = created["match_id"]
    console = host.wait_for(lambda c: any(s["match_id"] == match_id for s in c["seats"]), "console")
    codes = {s["side"]: s["code"] for s in console["seats"] if s["match_id"] == match_id}
    red = sio_peer(b, "player", seat=codes["red"])  # on the relay
    blue = sio_peer(a, "player", seat=codes["blue"])  # on the owner
    watcher = sio_peer(b, "player")  # an audience phone on the relay
    assert host.command("start_match", match_id=match_id)["ok"]
    for peer in (host, display, red, blue, watcher):
        peer.wait_latest(lambda s: bool(s["match"]) and s["match"]["id"] == match_id)
    # The relay's contestant was bound through the owner's engine.
    host.wait_latest(lambda s: len(s["match"]["engine"]["devices"]) == 2)
    return {
        "host": host,
        "display": display,
        "red": red,
        "blue": blue,
        "watcher": watcher,
        "match_id": match_id,
    }


def _rows(server: LiveServer, match_id: int) -> list[tuple[int, str, str]]:
    path = server.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path, timeout=10) as db:
        return db.execute(
            'SELECT "index", command, events FROM match_log WHERE match_id = ? ORDER BY "index"',
            (match_id,),
        ).fetchall()


def _log(server: LiveServer, match_id: int) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    return [(json.loads(c), json.loads(e)) for _, c, e in _rows(server, match_id)]


def _counted(ack: dict[str, Any]) -> bool:
    """The engine took the buzz: won outright, or in the commit window (fair buzzing)."""
    assert ack["ok"], ack
    return bool({"buzz_won", "buzz_accepted"} & set(ack["events"]))


def _host_do(host: Peer, type: str, **args: Any) -> dict[str, Any]:
    """A host match command; a ``stale`` refusal (a change the host had not received yet)
    waits for that change and tries again, as the host console does."""
    for _ in range(3):
        seen = host.last()["seq"]
        ack = host.command(type, seq=seen, **args)
        if ack["ok"]:
            host.wait_latest(lambda s, done=ack["seq"]: s["seq"] >= done)
            return ack
        assert ack["error"]["code"] == "stale", ack
        host.wait_latest(lambda s, seen=seen: s["seq"] > seen)
    raise AssertionError(f"{type} still stale after 3 tries")


def test_a_phone_on_the_relay_plays_in_the_owners_match(
    pair: tuple[LiveServer, LiveServer], redis_url: str, sio_peer: Callable[..., Peer]
) -> None:
    a, b = pair
    assert _pid_of(_owner(redis_url)) == a.proc.pid, "the first process up owns the match"
    p = _setup(a, b, sio_peer)
    host, display, red, blue, watcher = (
        p[k] for k in ("host", "display", "red", "blue", "watcher")
    )

    # The relay's phones see what the owner decides, redacted for their role.
    shown = _host_do(host, "show_question")
    question = host.last()["match"]["question"]
    for peer in (red, watcher):
        state = peer.wait_latest(lambda s: s["seq"] >= shown["seq"])
        assert state["match"]["phase"] == "question"
        assert state["match"]["question"]["prompt"] == question["prompt"]
        assert "answer" not in state["match"]["question"]
    assert red.last()["you"]["side"] == "red"
    assert watcher.last()["role"] == "audience"

    # An audience guess made on the relay is in the owner's tally.
    guess = watcher.command("guess", choices=[question["options"][0]["key"]])
    assert guess["ok"], guess
    host.wait_for(lambda m: m["question"] == question["id"] and m["count"] == 1, "audience")

    # The relay's contestant buzzes first: the buzz counts, and so does the answer.
    _host_do(host, "open_buzzing")
    red.wait_latest(lambda s: s["match"]["phase"] == "buzzing")
    assert _counted(red.command("buzz", press_at=None))
    # Decided by the owner, at once or when its commit window closes (the ticker).
    state = display.wait_latest(lambda s: s["match"]["phase"] == "answering")
    assert state["match"]["engine"]["answering"] == "red"
    assert red.command("choice", choices=question["answer"])["ok"]
    state = display.wait_latest(lambda s: s["match"]["phase"] == "result")
    assert state["match"]["engine"]["score"] == {"red": 1, "blue": 0}
    tally = host.wait_for(lambda m: m["question"] == question["id"] and m["tally"], "audience")
    assert tally["count"] == 1

    # Two buzzes at the same moment, one through each process: exactly one winner, and
    # everybody (owner's and relay's sockets) agrees on who.
    _host_do(host, "show_question")
    _host_do(host, "open_buzzing")
    for peer in (red, blue):
        peer.wait_latest(lambda s: s["match"]["phase"] == "buzzing")
    acks: dict[str, dict[str, Any]] = {}
    go = threading.Barrier(2)

    def buzz(side: str, peer: Peer) -> None:
        go.wait(timeout=10)
        acks[side] = peer.command("buzz", press_at=None)

    threads = [
        threading.Thread(target=buzz, args=(s, q)) for s, q in (("red", red), ("blue", blue))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=15)
    assert all(acks[s]["ok"] for s in ("red", "blue")), acks
    assert sum("buzz_won" in acks[s]["events"] for s in ("red", "blue")) <= 1, acks
    winner = display.wait_latest(lambda s: s["match"]["phase"] == "answering")["match"]["engine"][
        "answering"
    ]
    assert winner in ("red", "blue")
    for peer in (host, red, blue, watcher):
        state = peer.wait_latest(lambda s: s["match"]["phase"] == "answering")
        assert state["match"]["engine"]["answering"] == winner
    # The log both processes share holds one decision for this question, made once.
    log = _log(a, p["match_id"])
    last_show = max(i for i, (cmd, _) in enumerate(log) if cmd["type"] == "show_question")
    decided = [ev for _, events in log[last_show:] for ev in events if ev["type"] == "buzz_won"]
    assert [ev.get("side") for ev in decided] == [winner], decided
    indexes = [row[0] for row in _rows(a, p["match_id"])]
    assert indexes == list(range(len(indexes))), "one writer: a gapless, duplicate-free log"

    # A phone leaving the relay is seen leaving by the owner (the host's seat list).
    red.disconnect()
    host.wait_latest(
        lambda c: any(s["side"] == "red" and not s["online"] for s in c["seats"]), "console"
    )


def test_the_relay_takes_over_when_the_owner_dies(
    pair: tuple[LiveServer, LiveServer], redis_url: str, sio_peer: Callable[..., Peer]
) -> None:
    a, b = pair
    p = _setup(a, b, sio_peer)
    host, red, watcher = p["host"], p["red"], p["watcher"]
    _host_do(host, "show_question")
    question = host.last()["match"]["question"]
    assert watcher.command("guess", choices=[question["options"][0]["key"]])["ok"]
    _host_do(host, "open_buzzing")
    red.wait_latest(lambda s: s["match"]["phase"] == "buzzing")
    assert _counted(red.command("buzz", press_at=None))
    red.wait_latest(lambda s: s["match"]["phase"] == "answering")
    assert red.command("choice", choices=question["answer"])["ok"]
    red.wait_latest(lambda s: s["match"]["phase"] == "result")

    a.proc.send_signal(signal.SIGKILL)
    a.proc.wait(timeout=10)
    deadline = time.monotonic() + 20
    while _pid_of(_owner(redis_url)) != b.proc.pid:
        assert time.monotonic() < deadline, "the relay never took the lease"
        time.sleep(0.2)

    # The new owner rebuilt the match from the log; the phone that stayed on B goes on.
    host = sio_peer(b, "host", token=b.token)
    state = host.wait_latest(lambda s: bool(s["match"]) and s["match"]["id"] == p["match_id"])
    assert state["match"]["engine"]["score"] == {"red": 1, "blue": 0}
    assert state["match"]["phase"] == "result"
    # The audience answer acknowledged by the dead owner is still counted.
    tally = host.wait_for(lambda m: m["question"] == question["id"], "audience")
    assert tally["count"] == 1, tally
    _host_do(host, "show_question")
    _host_do(host, "open_buzzing")
    red.wait_latest(lambda s: s["match"]["phase"] == "buzzing", timeout=15)
    assert _counted(red.command("buzz", press_at=None))
    state = host.wait_latest(lambda s: s["match"]["phase"] == "answering", timeout=15)
    assert state["match"]["engine"]["answering"] == "red"


def test_a_join_storm_on_the_relay_is_forwarded_in_full(
    pair: tuple[LiveServer, LiveServer], redis_url: str
) -> None:
    """More phones joining the relay at once than Redis connections in a default pool (100):
    every one is forwarded to the owner and gets its state, none is refused."""
    import asyncio

    import socketio

    from tests.asyncrun import run_async

    a, b = pair
    assert _pid_of(_owner(redis_url)) == a.proc.pid
    phones = 160

    async def storm() -> list[str]:
        clients = [socketio.AsyncClient(reconnection=False) for _ in range(phones)]
        states = [asyncio.Event() for _ in range(phones)]
        for client, got in zip(clients, states, strict=True):
            client.on("state", lambda _data, got=got: got.set())

        async def join(i: int) -> str:
            try:
                await clients[i].connect(
                    b.url,
                    auth={"v": 1, "role": "player", "device": f"storm-phone-{i}"},
                    transports=["websocket"],
                    wait_timeout=30,
                )
                await asyncio.wait_for(states[i].wait(), 30)
                return "ok"
            except Exception as exc:  # every failure is reported by the assertion below
                return f"{type(exc).__name__}: {exc}"

        try:
            return await asyncio.gather(*(join(i) for i in range(phones)))
        finally:
            await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)

    results = run_async(asyncio.wait_for(storm(), 90))
    failed = [r for r in results if r != "ok"]
    assert not failed, f"{len(failed)} of {phones} phones failed, e.g. {failed[0]}"
