"""What the reliability tests share: a cast of real Socket.IO clients around one match on a
``quiz serve`` subprocess, ``kill -9`` and restart on the same database and port, and the
comparison of a restored state with the last acknowledged one.

Clients reconnect by themselves like the pages do (python-socketio's reconnection, every
0.5 s like the LED wall's page), so a restart is survived without the test reconnecting
anyone by hand.
"""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.conftest import ROOT, LiveServer, Peer

#: Where the tests leave their figures for docs/reliability.md (one JSON file per test).
FIGURES_DIR = ROOT / "test-artifacts" / "reliability"

#: The reconnection settings of the LED wall's page (static/js/common.js), in python-socketio's
#: terms: a fixed 0.5 s between attempts (python-socketio's jitter is in seconds, not a factor).
RECONNECT = {
    "reconnection": True,
    "reconnection_delay": 0.5,
    "reconnection_delay_max": 0.5,
    "randomization_factor": 0.05,
}
#: Long enough never to expire on a slow machine while the test looks at a phase.
SLOW_RULES = {"games_to_win": 2, "buzz_window_ms": 120_000, "answer_time_ms": 120_000}
DEADLINES = ("opens_at", "buzz_deadline", "arbitration_until", "answer_deadline", "begin_deadline")
#: Engine fields that a restart must bring back exactly.
STABLE_KEYS = (
    "phase",
    "score",
    "game",
    "games",
    "outcome",
    "undo",
    "devices",
    "question_number",
    "shown_at",
    "eligible",
    "lockouts",
    "rebound",
    "answering",
    "begun",
    "tied",
    "candidates",
    "buzzes",
    "violations",
    "attempts",
    "winner",
    "void_reason",
)


@dataclass
class Cast:
    """Host, LED wall and both contestant phones of one started match."""

    server: LiveServer
    host: Peer
    display: Peer
    red: Peer
    blue: Peer
    match_id: int
    codes: dict[str, str]
    display_times: list[tuple[float, int]] = field(default_factory=list)

    def peers(self) -> dict[str, Peer]:
        return {"host": self.host, "display": self.display, "red": self.red, "blue": self.blue}

    def do(self, type: str, **args: Any) -> dict[str, Any]:
        """A host match command based on the host's newest state; must be accepted."""
        ack = self.host.host_command(type, **args)
        assert ack.get("ok"), (type, ack)
        self.host.wait_latest(lambda s: s["seq"] >= ack["seq"])
        return ack

    def play(self, phone: Peer, type: str, **args: Any) -> dict[str, Any]:
        ack = phone.command(type, **args)
        assert ack.get("ok"), (type, ack)
        self.host.wait_latest(lambda s: s["seq"] >= ack["seq"])
        return ack

    def phase(self, phase: str, timeout: float = 15) -> dict[str, Any]:
        state: dict[str, Any] = self.host.wait_latest(
            lambda s: bool(s["match"]) and s["match"]["phase"] == phase, timeout=timeout
        )
        return state

    def settled(self) -> dict[str, Any]:
        """The host's newest state once the other clients have it too (nothing in flight)."""
        state: dict[str, Any] = self.host.last()
        for peer in (self.display, self.red, self.blue):
            if peer.client.connected:
                peer.wait_latest(lambda s, seq=state["seq"]: s["seq"] >= seq)
        return state


def start_cast(
    server: LiveServer,
    connect: Callable[..., Peer],
    rules: dict[str, Any] | None = None,
    filter: dict[str, Any] | None = None,
    seed: str = "reliability",
) -> Cast:
    """Contestants, a match with ``rules`` (single-choice questions unless ``filter`` says
    otherwise), both phones seated and the match started."""
    host = connect(server, "host", token=server.token, client_options=RECONNECT)
    display = connect(server, "display", client_options=RECONNECT)
    host.wait_for(lambda c: True, name="console")
    red_id = host.command("add_contestant", name="红方")["contestant_id"]
    blue_id = host.command("add_contestant", name="蓝方")["contestant_id"]
    created = host.command(
        "create_match",
        red=red_id,
        blue=blue_id,
        rules={**SLOW_RULES, **(rules or {})},
        filter=filter or {"kinds": ["single"]},
        seed=seed,
    )
    assert created["ok"], created
    match_id = created["match_id"]
    console = host.wait_for(lambda c: any(s["match_id"] == match_id for s in c["seats"]), "console")
    codes = {s["side"]: s["code"] for s in console["seats"] if s["match_id"] == match_id}
    red = connect(server, "player", seat=codes["red"], client_options=RECONNECT)
    blue = connect(server, "player", seat=codes["blue"], client_options=RECONNECT)
    assert host.command("start_match", match_id=match_id)["ok"]
    host.wait_latest(lambda s: bool(s["match"]) and len(s["match"]["engine"]["devices"]) == 2)
    cast = Cast(server, host, display, red, blue, match_id, codes)
    stamp_states(display, cast.display_times)
    cast.settled()
    return cast


def wait_connected(peer: Peer, timeout: float = 10) -> None:
    """Until the client's namespace is connected: the first ``state`` of a connect can
    arrive a moment before python-socketio lets the client emit."""
    deadline = time.monotonic() + timeout
    while "/" not in peer.client.namespaces:
        assert time.monotonic() < deadline, f"{peer.role} did not reconnect"
        time.sleep(0.01)


def stamp_states(peer: Peer, times: list[tuple[float, int]]) -> None:
    """Also record when each ``state`` arrived (monotonic seconds) and its seq."""

    def on_state(data: Any) -> None:
        times.append((time.monotonic(), data.get("seq", -1) if isinstance(data, dict) else -1))
        peer.record("state", data)

    peer.client.on("state", on_state)


class AcceptProbe:
    """Notes the first moment a TCP connection to ``port`` succeeds (the server is back)."""

    def __init__(self, port: int, limit_s: float = 60) -> None:
        self.port = port
        self.accepted_at: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(limit_s,), daemon=True)
        self._thread.start()

    def _run(self, limit_s: float) -> None:
        deadline = time.monotonic() + limit_s
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    self.accepted_at = time.monotonic()
                    return
            except OSError:
                time.sleep(0.002)

    def wait(self, timeout: float = 60) -> float:
        self._thread.join(timeout)
        self._stop.set()
        assert self.accepted_at is not None, "the server never accepted a connection"
        return self.accepted_at


def kill9(server: LiveServer) -> None:
    """SIGKILL: no handler runs, nothing is flushed or closed by the server."""
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait(timeout=10)
    # The next server on this port writes the same log file: keep this one for inspection.
    with contextlib.suppress(OSError):
        server.log_path.rename(server.log_path.with_suffix(f".killed-{time.monotonic_ns()}.log"))


def restart(
    server: LiveServer, start: Callable[..., LiveServer], extra_args: tuple[str, ...] = ()
) -> tuple[LiveServer, float]:
    """Start ``quiz serve`` again on the same port, database and token; returns it and the
    moment it began accepting connections."""
    probe = AcceptProbe(server.port)
    again = start(
        port=server.port,
        database_url=server.database_url,
        token=server.token,
        extra_args=extra_args,
    )
    return again, probe.wait()


#: The deadline that is running in each phase (the engine's next_deadline()).
RUNNING = {
    "question": ("opens_at",),
    "countdown": ("opens_at",),
    "buzzing": ("buzz_deadline",),
    "arbitrating": ("arbitration_until",),
    "answering": ("begin_deadline", "answer_deadline"),
}


def running(engine: dict[str, Any]) -> bool:
    """Whether a clock runs, i.e. whether a restart in ``paused`` mode pauses the match."""
    keys = RUNNING.get(engine["phase"], ())
    return not engine["paused"] and any(engine.get(k) is not None for k in keys)


def assert_restored(acked: dict[str, Any], restored: dict[str, Any], mode: str) -> None:
    """``restored`` (the first state after the restart) is ``acked`` (the last state the host
    had before the kill), give or take the pause the restart adds in ``paused`` mode."""
    a, r = acked["match"], restored["match"]
    assert r is not None and a is not None
    assert (r["id"], r["status"], r["phase"]) == (a["id"], a["status"], a["phase"])
    assert (r["question"] or {}).get("id") == (a["question"] or {}).get("id")
    assert (r["question"] or {}).get("prompt") == (a["question"] or {}).get("prompt")
    for key in STABLE_KEYS:
        assert r["engine"].get(key) == a["engine"].get(key), key
    assert (r.get("fair") or {}).get("receipts") == (a.get("fair") or {}).get("receipts")
    if running(a["engine"]) and mode == "paused":
        # Paused at the last logged moment: exactly the time that was left then.
        assert r["paused"] is True and restored["seq"] == acked["seq"] + 1
        clock = a["engine"]["clock"]
        left = {
            k: a["engine"][k] - clock
            for k in DEADLINES
            if a["engine"].get(k) is not None and a["engine"][k] >= clock
        }
        assert r["engine"]["remaining_ms"] == left, (r["engine"], a["engine"])
    else:
        assert r["paused"] == a["paused"] and restored["seq"] == acked["seq"]
        for key in (*DEADLINES, "remaining_ms", "clock"):
            assert r["engine"].get(key) == a["engine"].get(key), key


@dataclass
class Crash:
    """One ``kill -9`` and restart: the states either side and how fast the LED was back."""

    label: str
    acked: dict[str, Any]
    restored: dict[str, Any]
    display_ms: float  # from the server accepting connections to the LED's first state

    def figures(self) -> dict[str, Any]:
        m = self.restored["match"]
        return {
            "phase": self.label,
            "seq": self.restored["seq"],
            "paused_by_restart": self.restored["seq"] == self.acked["seq"] + 1,
            "undo_depth": m["engine"]["undo"]["depth"],
            "display_ms": round(self.display_ms, 1),
        }


def crash(
    cast: Cast,
    start: Callable[..., LiveServer],
    label: str,
    mode: str = "paused",
    extra_args: tuple[str, ...] = (),
) -> Crash:
    """SIGKILL the server in the current phase, restart it, let every client reconnect by
    itself and check the restored state against the last acknowledged one."""
    acked = cast.settled()
    killed_at = time.monotonic()
    kill9(cast.server)
    cast.server, accepted = restart(cast.server, start, extra_args)
    restored: dict[str, Any] = cast.host.wait_latest(lambda s: s is not acked, timeout=20)
    for peer in cast.peers().values():
        # Every client is back by itself and shows the restored state.
        peer.wait_latest(lambda s: s["seq"] == restored["seq"] and s["now"] > acked["now"])
        wait_connected(peer)
    first = next(t for t, _seq in list(cast.display_times) if t > killed_at)
    assert_restored(acked, restored, mode)
    return Crash(label, acked, restored, (first - accepted) * 1000)


def save_figures(name: str, figures: dict[str, Any]) -> None:
    FIGURES_DIR.mkdir(parents=True, exist_ok=True)
    text = json.dumps(figures, ensure_ascii=False, indent=1)
    (FIGURES_DIR / f"{name}.json").write_text(text + "\n", encoding="utf-8")
