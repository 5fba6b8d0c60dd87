"""Fixtures for the tournament in the live server: the in-process app of ``tests/server``
(temporary SQLite file, hand-moved clock, questions in memory) and a :class:`Desk` driver
that plays a host, an LED wall and an audience phone through the real socket handlers;
Chromium and the live server of ``tests/ui`` for the LED tests."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from quiz.live.clock import ManualClock
from quiz.live.hub import LiveHub
from tests.conftest import ROOT
from tests.server import conftest as server
from tests.server.conftest import TC, TOKEN
from tests.ui import conftest as ui

# Chromium and the module's live server of tests/ui, shared rather than copied.
browser = ui.browser
ui_server = ui.ui_server

# The in-process app of tests/server, shared rather than copied.
make_app = server.make_app
app = server.app
hub = server.hub
clock = server.clock
questions = server.questions
connect = server.connect

# More than the rate limit's refill time per command (10 a second), so a long test never
# runs into it: the limit is tested in tests/server.
STEP_MS = 150


class Desk:
    """A host console, an LED wall and an audience phone connected to one app."""

    def __init__(self, connect: Callable[..., TC], hub: LiveHub, clock: ManualClock) -> None:
        self.connect = connect
        self.hub = hub
        self.clock = clock
        self.host = connect("host", token=TOKEN, device="host-device-1")
        self.display = connect("display")
        self.phone = connect("player", device="audience-phone-1")
        assert self.host.connected and self.display.connected and self.phone.connected

    def admin(self, type: str, **args: Any) -> dict[str, Any]:
        self.clock.advance(STEP_MS)
        return self.host.command(type, **args)

    def ok(self, type: str, **args: Any) -> dict[str, Any]:
        ack = self.admin(type, **args)
        assert ack["ok"], (type, ack)
        return ack

    def match(self, type: str, **args: Any) -> dict[str, Any]:
        """A host command on the live match, based on the newest state seen."""
        self.clock.advance(STEP_MS)
        ack = self.host.host(type, **args)
        assert ack["ok"], (type, ack)
        return ack

    def contestants(self, *names: str) -> list[int]:
        return [self.ok("add_contestant", name=n)["contestant_id"] for n in names]

    def tournament(self) -> dict[str, Any]:
        """The tournament as the LED wall last received it."""
        state = self.display.last()
        assert state is not None
        view: dict[str, Any] = state["tournament"]
        return view

    def console(self) -> dict[str, Any]:
        view: dict[str, Any] = self.host.last("console")["tournament"]
        return view

    def play_next(self, winner: str, loser_games: int = 0) -> dict[str, Any]:
        """Start the next pairing and let ``winner`` take it by the host's game adjustments."""
        started = self.ok("start_next_match")
        loser = "blue" if winner == "red" else "red"
        for _ in range(loser_games):
            self.match("adjust_games", side=loser, delta=1)
        self.match("adjust_games", side=winner, delta=3)
        return started

    def pairing(self, pairing_id: str) -> dict[str, Any]:
        found = [m for m in self.tournament()["matches"] if m["id"] == pairing_id]
        assert found, pairing_id
        return found[0]


@pytest.fixture(scope="session")
def shots_dir() -> Path:
    """Screenshots of this folder, beside (not inside) tests/ui's, which that folder empties."""
    folder = ROOT / "test-artifacts" / "tournament"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def desk(connect: Callable[..., TC], hub: LiveHub, clock: ManualClock) -> Desk:
    return Desk(connect, hub, clock)
