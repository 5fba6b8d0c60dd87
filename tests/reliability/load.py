"""Load plus faults, shared by ``test_load_faults.py`` (20 s) and ``bench/load_faults.py``
(the full minute): a ``quiz serve`` with hundreds of audience phones connected (the
``bench.swarm`` worker processes), a match driven by the host and two contestant phones, and
the red phone disconnecting and reconnecting every second the whole time, buzzing and
answering whenever it is connected, and sometimes dropping off right after sending (then
resending the same command id once it is back).

Afterwards: every acknowledged buzz, answer and judgement is in the database log, a resent
command was applied once, the host's final state equals a replay of the log, and every
spectator received the final state.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from quiz.db import make_engine, make_session_factory
from quiz.models.live import Match, MatchLogEntry
from quiz.records import replay
from tests.asyncrun import run_async
from tests.conftest import LiveServer, Peer, connect_peer
from tests.reliability.harness import STABLE_KEYS, Cast, start_cast

RED_DEVICE = "red-flapping-phone"
CYCLE_S = 1.0
#: A long match: the test stops it by time, not by a winner (a wrong answer voids the
#: question instead of rebounding, so games come slowly).
RULES = {"games_to_win": 9, "commit_window_ms": 0, "rebound": "none"}
#: The host reads the question out before opening buzzing.
READING_S = 1.5


@dataclass
class Acked:
    """A command the server acknowledged as applied: ``seq`` is the match seq it produced."""

    who: str
    type: str
    id: str
    seq: int
    events: list[str] = field(default_factory=list)


@dataclass
class Record:
    acked: list[Acked] = field(default_factory=list)
    cycles: int = 0
    resent: int = 0
    resent_same_ack: int = 0
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def keep(self, who: str, type: str, id: str, ack: Any) -> None:
        if isinstance(ack, dict) and ack.get("ok") and ack.get("events", True):
            with self.lock:
                self.acked.append(Acked(who, type, id, ack["seq"], list(ack.get("events", []))))


class Flapper(threading.Thread):
    """The red phone: on for most of each second, off for the rest, playing when on."""

    def __init__(
        self, server: LiveServer, code: str, record: Record, key: Callable[[], dict[str, Any]]
    ) -> None:
        super().__init__(daemon=True)
        self.server, self.code, self.record = server, code, record
        # The question with its answer: a phone's state hides it, the contestant knows it.
        self.key = key
        self.stop = threading.Event()
        self.unsent: dict[str, Any] | None = None  # fired just before a disconnect
        # A clean WebSocket close can take seconds (the closing handshake): the phone does
        # not wait for it, like a phone whose screen goes off.
        self.closing: list[threading.Thread] = []

    def run(self) -> None:
        while not self.stop.is_set():
            began = time.monotonic()
            try:
                self._cycle()
            except Exception as exc:  # recorded and reported by the test, never swallowed
                self.record.failures.append(f"flapper: {type(exc).__name__}: {exc}")
            self.stop.wait(max(0.0, began + CYCLE_S - time.monotonic()))

    def _cycle(self) -> None:
        peer = connect_peer(self.server.url, "player", seat=self.code, device=RED_DEVICE)
        self.record.cycles += 1
        try:
            state = peer.wait_for(lambda s: True, timeout=5)
            if self.unsent is not None:
                # Dropped right after sending last time: the same id again applies once.
                payload, self.unsent = self.unsent, None
                first = peer.client.call("command", payload, timeout=5)
                again = peer.client.call("command", payload, timeout=5)
                self.record.resent += 1
                self.record.resent_same_ack += int(first == again)
                self.record.keep("red", payload["type"], payload["id"], first)
                state = peer.last()
            payload = self._move(state)
            if payload is not None:
                if self.record.cycles % 3 == 0:
                    # Fire and vanish: the ack is never read on this connection.
                    peer.client.emit("command", payload)
                    self.unsent = payload
                else:
                    ack = peer.client.call("command", payload, timeout=5)
                    self.record.keep("red", payload["type"], payload["id"], ack)
            time.sleep(CYCLE_S * 0.6)
        finally:
            closer = threading.Thread(target=_quiet_close, args=(peer,), daemon=True)
            closer.start()
            self.closing.append(closer)

    def _move(self, state: dict[str, Any]) -> dict[str, Any] | None:
        match = state.get("match") or {}
        engine = match.get("engine") or {}
        # One buzz id per question shown (a resent one must be recognised, a new one not).
        shown = engine.get("shown_at")
        if match.get("phase") == "buzzing" and "red" in engine.get("eligible", []):
            return {"id": f"red-buzz-{match['id']}-{shown}", "type": "buzz", "press_at": None}
        if match.get("phase") == "answering" and engine.get("answering") == "red":
            # Wrong about every other question (the question is void then): the match runs
            # for the whole test instead of being won early.
            question = self.key()
            right = list(question["answer"])
            letters = [chr(65 + i) for i in range(question["option_count"])]
            wrong = [next(x for x in letters if x not in right)]
            choices = right if (shown or 0) % 2 else wrong
            choice = f"red-choice-{uuid.uuid4().hex[:8]}"
            return {"id": choice, "type": "choice", "choices": choices}
        return None


def _quiet_close(peer: Peer) -> None:
    with contextlib.suppress(Exception):  # already gone: nothing to close
        peer.client.disconnect()


def _drive(cast: Cast, record: Record, until: float) -> int:
    """Questions until ``until`` (monotonic); returns how many were played."""
    played = 0

    def host(type: str, tolerate: tuple[str, ...] = (), **args: Any) -> None:
        ack = cast.host.host_command(type, **args)
        if not ack.get("ok") and ack.get("error", {}).get("code") == "stale":
            ack = cast.host.host_command(type, **args)  # a phone moved the match meanwhile
        if not ack.get("ok") and ack.get("error", {}).get("code") in tolerate:
            return
        assert ack.get("ok"), (type, ack)
        record.keep("host", type, "-", ack)
        cast.host.wait_latest(lambda s: s["seq"] >= ack["seq"])

    while time.monotonic() < until:
        host("show_question")
        time.sleep(READING_S)
        host("open_buzzing")
        state = cast.phase("buzzing")
        answer = state["match"]["question"]["answer"]
        # The flapping red phone gets a couple of seconds to buzz, then blue does (at once
        # every fourth question).
        deadline = time.monotonic() + (0 if played % 4 == 3 else 2.5)
        while time.monotonic() < deadline and cast.host.last()["match"]["phase"] == "buzzing":
            time.sleep(0.05)
        if cast.host.last()["match"]["phase"] == "buzzing":
            ack = cast.blue.command("buzz", press_at=None)
            record.keep("blue", "buzz", "-", ack)
        cast.host.wait_latest(lambda s: s["match"]["phase"] != "buzzing")
        _answer(cast, record, host, answer, host_rules=played % 3 == 2)
        state = cast.host.wait_latest(lambda s: s["match"]["phase"] in ("result", "finished"))
        played += 1
        if state["match"]["phase"] == "finished":
            break
        score = state["match"]["engine"]["score"]
        leader = max(score, key=score.get)
        if score[leader] >= RULES["games_to_win"] - 2:
            # A host correction keeps the one match going for the whole run.
            host("adjust_games", side=leader, delta=-3)
    return played


def _answer(
    cast: Cast,
    record: Record,
    host: Callable[..., None],
    answer: list[str],
    host_rules: bool,
) -> None:
    """Until the question is concluded: blue answers at once (right), red on its phone when it
    is connected (the flapper), else the host rules after 3 s; or the host rules at once."""
    attempts: set[tuple[str, bool]] = set()
    waited_since = time.monotonic()
    deadline = waited_since + 30
    while time.monotonic() < deadline:
        match = cast.host.last()["match"]
        if match["phase"] in ("result", "finished"):
            return
        if match["phase"] == "answering":
            attempt = (match["engine"]["answering"], match["engine"]["rebound"])
            if attempt not in attempts:
                attempts.add(attempt)
                waited_since = time.monotonic()
                if host_rules:
                    host("judge", ("wrong_phase", "stale"), correct=True)
                elif attempt[0] == "blue":
                    ack = cast.blue.command("choice", choices=answer)
                    record.keep("blue", "choice", "-", ack)
            elif time.monotonic() - waited_since > 3:
                # The red phone did not answer in time: wrong (or it answered just now: then
                # the host's judgement comes too late and is refused, which is right).
                host("judge", ("wrong_phase", "stale"), correct=False)
                waited_since = time.monotonic()
        time.sleep(0.05)
    raise AssertionError(f"the question was not concluded: {cast.host.last()['match']['phase']}")


def _log(database_url: str, match_id: int) -> tuple[list[MatchLogEntry], dict[str, Any]]:
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            row = session.get(Match, match_id)
            assert row is not None
            entries = list(row.log)
            snapshot = replay(session, row, entries=entries).snapshot()
    finally:
        engine.dispose()
    return entries, snapshot


def run(
    server: LiveServer,
    connect: Callable[..., Peer],
    seconds: float,
    spectators: int = 500,
    workers: int = 2,
) -> dict[str, Any]:
    """The whole scenario; returns its figures (asserting on the way)."""
    from bench.swarm import Swarm

    cast = start_cast(server, connect, rules=RULES)
    # The flapper takes the red seat on a fresh code (the host's re-issue), with its device.
    cast.red.disconnect()
    swarm = Swarm(workers)
    record = Record()
    try:
        joined = run_async(swarm.connect(server.url, spectators, timeout_s=120))
        assert joined.ok == spectators, joined.errors[:5]
        ack = cast.host.command("issue_seat", match_id=cast.match_id, side="red")
        assert ack["ok"], ack
        flapper = Flapper(
            server, ack["code"], record, lambda: cast.host.last()["match"]["question"]
        )
        flapper.start()
        started = time.monotonic()
        played = _drive(cast, record, started + seconds)
        flapper.stop.set()
        flapper.join(10)
        for closer in flapper.closing:
            closer.join(10)
        elapsed = time.monotonic() - started
        final = cast.settled()
        missing = run_async(swarm.wait_seq(final["seq"], timeout_s=30)).count(None)
    finally:
        run_async(swarm.close())
    assert not record.failures, record.failures[:5]
    entries, replayed = _log(server.database_url, cast.match_id)
    by_seq = {e.seq: e for e in entries}
    lost = [a for a in record.acked if a.seq not in by_seq or not _same(a, by_seq[a.seq])]
    question = replayed.pop("question") or {}
    replayed.update(question, question_number=question.get("number"))  # as the state has it
    for key in STABLE_KEYS:
        assert replayed.get(key) == final["match"]["engine"].get(key), key
    assert replayed["seq"] == final["seq"] == entries[-1].seq
    assert record.resent_same_ack == record.resent
    return {
        "seconds": round(elapsed, 1),
        "spectators": spectators,
        "spectators_missing_final_state": missing,
        "flapper_cycles": record.cycles,
        "questions": played,
        "acked_buzzes": sum(a.type == "buzz" for a in record.acked),
        "acked_answers": sum(a.type == "choice" for a in record.acked),
        "acked_judgements": sum(a.type == "judge" for a in record.acked),
        "acked_corrections": sum(a.type == "adjust_games" for a in record.acked),
        "acked_total": len(record.acked),
        "resent_after_drop": record.resent,
        "lost": len(lost),
        "log_entries": len(entries),
        "final_seq": final["seq"],
    }


def _same(acked: Acked, entry: MatchLogEntry) -> bool:
    command = entry.command
    if acked.who == "host":
        return bool(command["type"] == acked.type)
    device = RED_DEVICE if acked.who == "red" else None
    kind = "submit_choice" if acked.type == "choice" else acked.type
    return bool(command["type"] == kind and (device is None or command["device_id"] == device))
