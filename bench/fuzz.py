"""Fuzzing the socket API of a live ``quiz serve`` over real WebSockets: at least 10,000
hypothesis-generated shots (``tests/reliability/payloads.py``: every command type, sync,
unknown and reserved event names, binary, huge strings, nesting deeper than any encoder
writes, malformed JSON) from every role, during a match.

Checked per shot: the sender gets an ack that is a documented error (never ``internal``) or
an accepted command; a message over the 64 KiB transport limit drops that socket only (it is
counted and reconnected). Checked at the end: the server answered ``/healthz`` throughout and
never restarted, the match log grew by exactly the shots that were accepted with an effect,
and the host's state equals a replay of that log. Shots go round-robin over two dozen
clients, slower than each client's rate budget refills, so that validation rather than the
rate limiter answers them.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from hypothesis import HealthCheck, Phase, given, seed, settings

from bench.common import Section
from quiz.db import make_engine, make_session_factory
from quiz.models.live import Match
from quiz.records import replay
from tests.conftest import LiveServer, Peer, connect_peer, start_server, stop_server
from tests.reliability.harness import STABLE_KEYS, Cast, start_cast
from tests.reliability.payloads import Raw, encode_event, refusal_ok, shots

SHOTS = int(os.environ.get("BENCH_FUZZ_SHOTS", "10000"))
AUDIENCE_PHONES = 20
TRANSPORT_LIMIT = 64 * 1024
ACK_TIMEOUT_S = 5.0
HEALTH_EVERY = 250


@dataclass
class Sender:
    role: str
    auth: dict[str, Any]
    peer: Peer | None = None


@dataclass
class Tally:
    counts: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    effects: int = 0  # accepted shots that changed the match (one log entry each)

    def fail(self, text: str) -> None:
        self.counts["failures"] += 1
        if len(self.failures) < 10:
            self.failures.append(text[:300])


class Fuzzer:
    def __init__(self, server: LiveServer, cast: Cast) -> None:
        self.server = server
        self.cast = cast
        self.tally = Tally()
        self.token = server.token
        self.senders = [
            Sender("host", {"token": server.token}, cast.host),
            Sender("display", {}, cast.display),
            Sender("player", {"seat": cast.codes["red"], "device": cast.red.device}, cast.red),
            Sender("player", {"seat": cast.codes["blue"], "device": cast.blue.device}, cast.blue),
        ]
        for i in range(AUDIENCE_PHONES):
            self.senders.append(Sender("player", {"device": f"fuzz-audience-{i:03}"}))

    def peer(self, sender: Sender) -> Peer | None:
        if sender.peer is not None and "/" in sender.peer.client.namespaces:
            return sender.peer
        if sender.peer is not None:
            self.tally.counts["reconnects"] += 1
            with contextlib.suppress(Exception):
                sender.peer.client.disconnect()
        auth = dict(sender.auth)
        if sender.role == "host":
            auth["token"] = self.token
        try:
            sender.peer = connect_peer(self.server.url, sender.role, **auth)
        except Exception as exc:  # e.g. a seat re-issued by an accepted shot: drop the sender
            self.tally.counts["senders_lost"] += 1
            self.tally.fail(f"reconnect {sender.role}: {exc}")
            sender.peer = None
        return sender.peer

    def shoot(self, sender: Sender, event: str, payload: Any) -> None:
        peer = self.peer(sender)
        if peer is None:
            return
        self.tally.counts["shots"] += 1
        raw = isinstance(payload, Raw)
        size = len(payload.text) if raw else _size(event, payload)
        got = threading.Event()
        box: list[Any] = []

        def on_ack(*args: Any) -> None:
            box.append(args[0] if len(args) == 1 else list(args))
            got.set()

        client = peer.client
        try:
            if raw:
                ack_id = client._generate_ack_id("/", on_ack)
                client.eio.send(encode_event(ack_id, event, payload))
            else:
                client.emit(event, payload, callback=on_ack)
        except Exception as exc:
            self.tally.fail(f"send {event!r}: {type(exc).__name__}: {exc}")
            return
        if size > TRANSPORT_LIMIT:
            self.tally.counts["over_64KiB"] += 1
            self._expect_drop(peer)
            return
        if not got.wait(ACK_TIMEOUT_S):
            self.tally.fail(f"no ack to {event!r} from {sender.role} ({size} bytes)")
            return
        self._judge(box[0], event, sender)

    def _expect_drop(self, peer: Peer) -> None:
        deadline = time.monotonic() + ACK_TIMEOUT_S
        while "/" in peer.client.namespaces and time.monotonic() < deadline:
            time.sleep(0.01)
        if "/" in peer.client.namespaces:
            self.tally.fail("a message over the transport limit did not drop its socket")
        else:
            self.tally.counts["dropped_for_size"] += 1

    def _judge(self, ack: Any, event: str, sender: Sender) -> None:
        if isinstance(ack, dict) and (ack.get("ok") is True or "t1" in ack):
            self.tally.counts["accepted"] += 1
            if isinstance(ack.get("token"), str):
                self.token = ack["token"]  # an accepted rotate_token
            if ack.get("ok") is True and ack.get("events", [True]):
                self.tally.effects += 1  # an upper bound: admin commands log nothing
            return
        problem = refusal_ok(ack)
        if problem is not None:
            self.tally.fail(f"{event!r} from {sender.role}: {problem}")
            return
        self.tally.counts[f"code:{ack['error']['code']}"] += 1


def _size(event: str, payload: Any) -> int:
    try:
        return len(json.dumps([event, payload]))
    except (TypeError, ValueError):
        return len(payload) * 2 if isinstance(payload, bytes) else 0


def _health(server: LiveServer, tally: Tally) -> None:
    try:
        ok = requests.get(f"{server.url}/healthz", timeout=5).json().get("ok")
    except requests.RequestException as exc:
        ok = False
        tally.fail(f"healthz: {exc}")
    tally.counts["health_checks"] += 1
    tally.counts["health_ok"] += int(bool(ok))


def _log_check(server: LiveServer, cast: Cast) -> tuple[int, bool]:
    """(log entries, host state == replay of the log)."""
    engine = make_engine(server.database_url)
    try:
        with make_session_factory(engine)() as session:
            row = session.get(Match, cast.match_id)
            assert row is not None
            entries = list(row.log)
            replayed = replay(session, row, entries=entries).snapshot()
    finally:
        engine.dispose()
    final = cast.host.last()["match"]
    question = replayed.pop("question") or {}
    replayed.update(question, question_number=question.get("number"))
    same = all(replayed.get(k) == final["engine"].get(k) for k in STABLE_KEYS)
    return len(entries), same and replayed["seq"] == cast.host.last()["seq"]


def run(count: int = SHOTS) -> Section:
    workdir = Path(tempfile.mkdtemp(prefix="quiz-bench-fuzz-"))
    server = start_server(workdir)
    started = time.monotonic()
    try:
        cast = start_cast(server, lambda s, role, **auth: connect_peer(s.url, role, **auth))
        cast.do("show_question")
        fuzzer = Fuzzer(server, cast)
        log_before, _ = _log_check(server, cast)
        turn = iter(range(10**9))

        @seed(20261127)
        @settings(
            max_examples=count,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(shot=shots())
        def fire(shot: tuple[str, Any]) -> None:
            i = next(turn)
            sender = fuzzer.senders[i % len(fuzzer.senders)]
            fuzzer.shoot(sender, *shot)
            if i % HEALTH_EVERY == 0:
                _health(server, fuzzer.tally)
            # ~200 shots a second over two dozen clients: under every client's 10/s refill.
            time.sleep(0.004)

        fire()
        _health(server, fuzzer.tally)
        time.sleep(0.5)  # let the last broadcasts reach the host
        log_after, same = _log_check(server, cast)
        restarted = server.proc.poll() is not None
    finally:
        stop_server(server)
    tally = fuzzer.tally
    counts = tally.counts
    seconds = time.monotonic() - started
    refused = sum(v for k, v in counts.items() if k.startswith("code:"))
    codes = ", ".join(f"`{k[5:]}` {v}" for k, v in sorted(counts.items()) if k.startswith("code:"))
    body = (
        f"{counts['shots']} shots in {seconds:.0f} s against `quiz serve` (gevent) over "
        f"WebSockets, round-robin from the host, the LED wall, both contestant phones and "
        f"{AUDIENCE_PHONES} audience phones, during a match (hypothesis seed 20261127).\n\n"
        f"| figure | value |\n| --- | --- |\n"
        f"| shots sent | {counts['shots']} |\n"
        f"| refused with a clear error | {refused} |\n"
        f"| accepted (valid by chance) | {counts['accepted']} |\n"
        f"| over 64 KiB: socket dropped (then reconnected) | {counts['dropped_for_size']} "
        f"of {counts['over_64KiB']} |\n"
        f"| reconnects | {counts['reconnects']} |\n"
        f"| `/healthz` answered | {counts['health_ok']} of {counts['health_checks']} |\n"
        f"| server exited | {'yes' if restarted else 'no'} |\n"
        f"| log entries added / accepted shots that could add one | {log_after - log_before} / "
        f"{tally.effects} |\n"
        f"| host state = replay of the log | {'yes' if same else 'NO'} |\n"
        f"| failures (no ack, `internal`, malformed ack) | {counts['failures']} |\n\n"
        f"Error codes: {codes}.\n"
    )
    if tally.failures:
        body += "\nFirst failures:\n\n" + "\n".join(f"- {f}" for f in tally.failures) + "\n"
    return Section("Fuzzing the socket API (live server)", body)


if __name__ == "__main__":
    print(run().body)
