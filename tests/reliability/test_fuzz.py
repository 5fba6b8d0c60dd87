"""Fuzzing the socket API in-process (the fast subset; ``bench/fuzz.py`` sends 10,000+ over
real sockets): hypothesis-generated shots for every event, from every role, during a live
match. Each refused shot gets a clear error ack (a documented code, never ``internal``), goes
to the sender only, and leaves the match exactly as it was; every client stays connected.
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from quiz.live.hub import LiveHub
from quiz.models.live import MatchLogEntry
from tests.reliability.harness import save_figures
from tests.reliability.payloads import encode_event, refusal_ok, shots
from tests.server.conftest import TC, Live, start_match

EXAMPLES = int(os.environ.get("QUIZ_FUZZ_EXAMPLES", "500"))
SENDERS = ("host", "display", "red", "blue", "audience")
_ack_ids = itertools.count(10_000)


def _send(client: TC, event: str, payload: Any) -> Any:
    """Emit with an ack; a raw payload goes in as packet text, past the client's encoder."""
    raw = encode_event(next(_ack_ids), event, payload)
    if raw is None:
        return client.client.emit(event, payload, callback=True)
    test_client = client.client
    test_client.socketio.server._handle_eio_message(test_client.eio_sid, raw)
    ack, test_client.acks = test_client.acks, None
    return None if ack is None else ack["args"][0]


class Scene:
    """A live match with one client per role, rebuilt if an accepted shot ended it."""

    def __init__(self, connect: Callable[..., TC], hub: LiveHub) -> None:
        self.connect = connect
        self.hub = hub
        self.live = self._start()

    def _start(self) -> Live:
        live = start_match(self.connect, self.hub, self.hub.clock, rules={"commit_window_ms": 0})  # type: ignore[arg-type]
        live.host.host("show_question")
        return live

    def client(self, role: str) -> TC:
        client: TC = getattr(self.live, role)
        return client

    def ensure(self) -> None:
        service = self.hub.current
        alive = all(self.client(r).connected for r in SENDERS)
        if not alive or service is None or service.status != "live":
            if service is not None and service.status == "live":
                self.live.host.command("abort_match", match_id=service.match_id)
            self.live = self._start()

    def fingerprint(self) -> tuple[Any, ...]:
        service = self.hub.current
        assert service is not None
        with self.hub.sessions() as session:
            rows = session.scalar(select(func.count(MatchLogEntry.id)))
        return (service.seq, service.engine.snapshot(), rows, sorted(self.hub.connections.clients))

    def queued(self) -> dict[str, int]:
        return {r: len(self.client(r).client.queue) for r in SENDERS}


def test_fuzz_every_event_from_every_role(connect: Callable[..., TC], hub: LiveHub) -> None:
    scene = Scene(connect, hub)
    tally: Counter[str] = Counter()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(sender=st.sampled_from(SENDERS), shot=shots())
    def fire(sender: str, shot: tuple[str, Any]) -> None:
        scene.ensure()
        hub.clock.advance(150)  # type: ignore[attr-defined]  # refill the rate budget a bit
        event, payload = shot
        before, queued = scene.fingerprint(), scene.queued()
        ack = _send(scene.client(sender), event, payload)
        tally["shots"] += 1
        assert ack is not None, f"no ack to {event!r} from {sender}"
        accepted = isinstance(ack, dict) and (ack.get("ok") is True or "t1" in ack)
        if accepted:
            tally["accepted"] += 1
            return
        problem = refusal_ok(ack)
        assert problem is None, (problem, event, sender)
        tally[f"code:{ack['error']['code']}"] += 1
        assert scene.fingerprint() == before, "a refused shot changed the match"
        others = {r: n for r, n in scene.queued().items() if r != sender}
        assert others == {r: n for r, n in queued.items() if r != sender}, "error leaked"
        assert all(scene.client(r).connected for r in SENDERS)

    fire()
    assert tally["shots"] >= EXAMPLES
    refused = tally["shots"] - tally["accepted"]
    assert refused > tally["accepted"]  # the generator mostly produces hostile input
    save_figures(
        "fuzz_fast",
        {"shots": tally["shots"], "refused": refused, "accepted": tally["accepted"], **tally},
    )
