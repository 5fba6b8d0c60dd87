"""Load plus faults for the full minute (``make test`` runs the same scenario for 20 s):
500 audience phones connected, a match in progress, and a contestant phone that disconnects
and reconnects every second. The scenario and its checks are ``tests/reliability/load.py``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

from bench.common import Section
from tests.conftest import LiveServer, Peer, connect_peer, start_server, stop_server
from tests.reliability import load

SECONDS = float(os.environ.get("BENCH_FAULT_SECONDS", "60"))
SPECTATORS = int(os.environ.get("BENCH_FAULT_SPECTATORS", "500"))


def run(seconds: float = SECONDS, spectators: int = SPECTATORS) -> Section:
    server = start_server(Path(tempfile.mkdtemp(prefix="quiz-bench-faults-")))
    peers: list[Peer] = []

    def connect(target: LiveServer, role: str, **auth: Any) -> Peer:
        peer = connect_peer(target.url, role, **auth)
        peers.append(peer)
        return peer

    try:
        figures = load.run(server, connect, seconds, spectators)
    finally:
        for peer in peers:
            with contextlib.suppress(Exception):  # already gone
                peer.client.disconnect()
        stop_server(server)
    rows = "\n".join(f"| {k.replace('_', ' ')} | {v} |" for k, v in figures.items())
    body = (
        f"`quiz serve` (gevent) with {spectators} audience phones (python-socketio, 2 worker "
        f"processes), a match driven by the host and two phones, the red phone disconnecting "
        f"and reconnecting every second for {seconds:.0f} s (every third time right after "
        "sending a command, which it resends with the same id once back).\n\n"
        f"| figure | value |\n| --- | --- |\n{rows}\n"
    )
    return Section("Load plus faults: nothing lost", body)


if __name__ == "__main__":
    print(run().body)
