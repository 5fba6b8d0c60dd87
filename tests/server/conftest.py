"""Fixtures for in-process server tests: an app on a temporary SQLite file with a hand-moved
clock, questions held in memory, and Flask-SocketIO test clients (async mode threading)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from quiz.app import create_app, hub_of
from quiz.config import TestingConfig
from quiz.extensions import socketio
from quiz.live.clock import ManualClock
from quiz.live.hub import LiveHub
from quiz.live.questions import MemoryQuestionSource, QuestionView

TOKEN = "test-host-token"
_ids = itertools.count(1)


def make_questions(n: int = 12) -> list[QuestionView]:
    out = []
    for i in range(1, n + 1):
        out.append(
            QuestionView(
                id=str(100 + i),
                code=f"AF-{i:03}",
                kind="single",
                prompt={"zh": f"第{i}题 <b>", "en": f"Question {i}"},
                options=tuple({"key": k, "zh": f"选项{k}", "en": f"Option {k}"} for k in "ABCD"),
                answer=("ABCD"[i % 4],),
                explanation={"zh": f"解析{i}", "en": f"Because {i}"},
                category="anti-fraud",
                difficulty=1 + i % 3,
            )
        )
    out.append(
        QuestionView(
            id="900",
            code="RP-001",
            kind="open",
            prompt={"zh": "举报电话是多少？", "en": "Which number reports illegal content?"},
            accepted=({"zh": "12377", "en": "12377"},),
            explanation={"zh": "12377", "en": "12377"},
            category="reporting",
            difficulty=1,
        )
    )
    return out


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def questions() -> MemoryQuestionSource:
    return MemoryQuestionSource(make_questions())


@pytest.fixture
def make_app(
    tmp_path: Path, clock: ManualClock, questions: MemoryQuestionSource
) -> Iterator[Callable[..., Flask]]:
    apps: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        config = TestingConfig(
            DATABASE_URL=f"sqlite:///{tmp_path / 'quiz.sqlite3'}",
            CREATE_TABLES=True,
            QUESTION_SOURCE=questions,
            CLOCK=clock,
            HOST_TOKEN=TOKEN,
            **overrides,
        )
        app = create_app(config)
        apps.append(app)
        return app

    yield build
    for app in apps:
        hub_of(app).stop()
        app.extensions["quiz.db"]["engine"].dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def hub(app: Flask) -> LiveHub:
    return hub_of(app)


class TC:
    """A Socket.IO test client that keeps everything it received."""

    def __init__(self, app: Flask, auth: dict[str, Any] | None, headers: Any = None) -> None:
        self.client = socketio.test_client(app, auth=auth, headers=headers)
        self.inbox: list[dict[str, Any]] = []

    @property
    def connected(self) -> bool:
        return bool(self.client.is_connected())

    def drain(self) -> list[dict[str, Any]]:
        if self.connected:
            self.inbox.extend(self.client.get_received())
        return self.inbox

    def all(self, name: str = "state") -> list[Any]:
        return [m["args"][0] for m in self.drain() if m["name"] == name]

    def last(self, name: str = "state") -> Any:
        items = self.all(name)
        return items[-1] if items else None

    def clear(self) -> None:
        self.drain()
        self.inbox.clear()

    def command(self, type: str, **args: Any) -> dict[str, Any]:
        payload = {"id": f"t{next(_ids)}", "type": type, **args}
        return self.send(payload)

    def send(self, payload: Any) -> dict[str, Any]:
        ack: dict[str, Any] = self.client.emit("command", payload, callback=True)
        return ack

    def host(self, type: str, **args: Any) -> dict[str, Any]:
        """A host match command based on the newest state seen."""
        return self.command(type, seq=self.last()["seq"], **args)


@pytest.fixture
def connect(app: Flask) -> Callable[..., TC]:
    def make(role: str, headers: Any = None, **auth: Any) -> TC:
        full = {"v": 1, "role": role, **auth}
        if role != "host":
            full.setdefault("device", f"device-{next(_ids):04}")
        return TC(app, full, headers=headers)

    return make


@dataclass
class Live:
    """A started match with a host, a display, an audience phone and both contestants."""

    hub: LiveHub
    clock: ManualClock
    match_id: int
    host: TC
    display: TC
    audience: TC
    red: TC
    blue: TC
    codes: dict[str, str]

    def viewers(self) -> dict[str, TC]:
        return {
            "display": self.display,
            "audience": self.audience,
            "red": self.red,
            "blue": self.blue,
        }

    def tick(self, ms: int = 0) -> None:
        self.clock.advance(ms)
        self.hub.tick()


def start_match(
    connect: Callable[..., TC],
    hub: LiveHub,
    clock: ManualClock,
    rules: dict[str, Any] | None = None,
    filter: dict[str, Any] | None = None,
    **create: Any,
) -> Live:
    """``create``: further ``create_match`` arguments (e.g. ``compensation``)."""
    host = connect("host", token=TOKEN, device="host-device-1")
    assert host.connected
    red_id = host.command("add_contestant", name="红方")["contestant_id"]
    blue_id = host.command("add_contestant", name="蓝方")["contestant_id"]
    ack = host.command(
        "create_match",
        red=red_id,
        blue=blue_id,
        rules=rules or {},
        filter=filter or {"kinds": ["single"]},
        seed="fixed",
        **create,
    )
    assert ack["ok"], ack
    match_id = ack["match_id"]
    codes = {
        s["side"]: s["code"] for s in host.last("console")["seats"] if s["match_id"] == match_id
    }
    red = connect("player", seat=codes["red"], device="red-phone-1")
    blue = connect("player", seat=codes["blue"], device="blue-phone-1")
    display = connect("display")
    audience = connect("player", device="audience-phone-1")
    assert all(c.connected for c in (red, blue, display, audience))
    assert host.command("start_match", match_id=match_id)["ok"]
    return Live(hub, clock, match_id, host, display, audience, red, blue, codes)


@pytest.fixture
def live(connect: Callable[..., TC], hub: LiveHub, clock: ManualClock) -> Live:
    return start_match(connect, hub, clock)
