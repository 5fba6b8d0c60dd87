"""Load plus faults: 500 connected spectators, a match in progress, and a contestant phone
that disconnects and reconnects every second, for 20 s here (``bench/load_faults.py`` runs
the full minute). No acknowledged buzz, answer or judgement is lost and the final state is
the replay of the database log (the scenario is in ``tests/reliability/load.py``)."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from tests.conftest import LiveServer, Peer
from tests.reliability import load
from tests.reliability.harness import save_figures

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SECONDS = float(os.environ.get("QUIZ_FAULT_SECONDS", "20"))
SPECTATORS = int(os.environ.get("QUIZ_FAULT_SPECTATORS", "500"))


def test_load_and_a_flapping_phone_lose_nothing(
    live_server: LiveServer, sio_peer: Callable[..., Peer]
) -> None:
    figures = load.run(live_server, sio_peer, SECONDS, SPECTATORS)
    save_figures("load_faults", figures)
    assert figures["lost"] == 0
    assert figures["spectators_missing_final_state"] == 0
    # It really came and went all along (a cycle is 1 s plus a connect, slower on a busy box).
    assert figures["flapper_cycles"] >= SECONDS / 3
    for kind in ("acked_buzzes", "acked_answers", "acked_judgements", "resent_after_drop"):
        assert figures[kind] > 0, kind
