"""``kill -9`` in every phase: ``quiz serve`` as a subprocess, a scripted match over real
WebSockets, SIGKILL, restart on the same database, and the restored match compared with the
last state the host had acknowledged (phase, games, question, buzzes and receipts, undo
history, deadlines). Every client reconnects by itself; the LED wall's time from "the server
accepts connections" to "the wall shows the state" is measured at every restart.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import LiveServer, Peer
from tests.reliability.harness import Cast, Crash, crash, save_figures, start_cast

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

#: The LED wall must show the current state within this long of the server being back.
DISPLAY_BACK_MS = 1000


def _answer(cast: Cast) -> list[str]:
    answer: list[str] = cast.host.last()["match"]["question"]["answer"]
    return answer


def _to_buzzing(cast: Cast) -> None:
    cast.do("open_buzzing")
    cast.phase("buzzing")


def _win_question(cast: Cast, phone: Peer) -> None:
    """Buzz (through the commit window, if any) and answer right on the phone."""
    cast.play(phone, "buzz", press_at=None)
    cast.phase("answering")
    cast.play(phone, "choice", choices=_answer(cast))


def test_kill9_in_every_phase_resumes_exactly(
    live_server_factory: Callable[..., LiveServer], sio_peer: Callable[..., Peer]
) -> None:
    cast = start_cast(live_server_factory(), sio_peer, rules={"pre_countdown_ms": 2000})
    crashes: list[Crash] = []

    def kill(label: str) -> dict[str, Any]:
        crashes.append(crash(cast, live_server_factory, label))
        restored: dict[str, Any] = crashes[-1].restored
        return restored

    cast.do("show_question")
    before_open = cast.phase("question")
    kill("question")

    cast.do("open_buzzing")
    cast.phase("countdown")
    assert kill("countdown")["match"]["paused"]  # the default: the host resumes
    cast.do("resume")
    cast.phase("buzzing")

    assert kill("buzzing")["match"]["paused"]
    cast.do("resume")

    cast.play(cast.red, "buzz", press_at=None)
    cast.phase("answering")
    restored = kill("answering")
    assert restored["match"]["engine"]["answering"] == "red"
    cast.do("resume")
    cast.play(cast.red, "choice", choices=_answer(cast))
    assert cast.phase("result")["match"]["engine"]["score"] == {"red": 1, "blue": 0}
    kill("result")

    cast.do("show_question")
    cast.do("pause")
    assert kill("paused")["match"]["paused"]

    # An undo while paused takes back the second question; kill right after it.
    cast.do("undo")
    undone = cast.phase("result")
    assert undone["match"]["engine"]["undo"]["depth"] == 2
    kill("after undo")
    # The undo history survived: the next undo takes back opening the first question.
    cast.do("undo")
    back = cast.phase("question")["match"]
    assert back["question"]["id"] == before_open["match"]["question"]["id"]
    assert back["engine"]["score"] == {"red": 0, "blue": 0}
    assert back["engine"]["undo"] == before_open["match"]["engine"]["undo"]

    _to_buzzing(cast)
    _win_question(cast, cast.red)
    cast.phase("result")
    cast.do("show_question")
    _to_buzzing(cast)
    _win_question(cast, cast.red)
    final = cast.phase("finished")
    assert final["match"]["engine"]["outcome"]["winner"] == "red"
    restored = kill("finished")
    assert restored["match"]["status"] == "finished"
    # A finished match still takes an undo after the restart, which reopens it (back to
    # before buzzing opened for the last question).
    cast.do("undo")
    reopened = cast.phase("question")["match"]
    assert reopened["status"] == "live" and reopened["engine"]["score"] == {"red": 1, "blue": 0}

    display_ms = [c.display_ms for c in crashes]
    save_figures(
        "crash_recovery",
        {
            "kills": [c.figures() for c in crashes],
            "display_back_ms_max": round(max(display_ms), 1),
        },
    )
    assert len(crashes) == 8
    assert max(display_ms) <= DISPLAY_BACK_MS, display_ms


def test_continue_mode_keeps_the_logged_deadlines(
    live_server_factory: Callable[..., LiveServer], sio_peer: Callable[..., Peer]
) -> None:
    args = ("--resume-deadlines", "continue")
    cast = start_cast(
        live_server_factory(extra_args=args), sio_peer, rules={"pre_countdown_ms": 4000}
    )
    cast.do("show_question")
    cast.do("open_buzzing")
    cast.phase("countdown")
    counting = crash(cast, live_server_factory, "countdown", "continue", args)
    opens_at = counting.acked["match"]["engine"]["opens_at"]
    assert counting.restored["match"]["paused"] is False
    # Buzzing opened at the logged moment, not 4 s after the restart.
    buzzing = cast.phase("buzzing")["match"]["engine"]
    assert buzzing["opens_at"] == opens_at
    assert buzzing["buzz_deadline"] == opens_at + buzzing["rules"]["buzz_window_ms"]

    cast.play(cast.blue, "buzz", press_at=None)
    cast.phase("answering")
    answering = crash(cast, live_server_factory, "answering", "continue", args)
    assert answering.restored["match"]["paused"] is False
    cast.play(cast.blue, "choice", choices=_answer(cast))
    assert cast.phase("result")["match"]["engine"]["score"] == {"red": 0, "blue": 1}
    save_figures("crash_recovery_continue", {"kills": [counting.figures(), answering.figures()]})
