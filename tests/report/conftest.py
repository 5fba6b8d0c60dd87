"""An event played for real, to report on: the bundled bank imported into a migrated SQLite
file, and two matches driven through the live server (Flask-SocketIO test clients, a
hand-moved clock), exactly as a host and two phones would play them.

The script (``EVENT_ONE``) is the single description of what happens; the tests derive their
expected numbers by hand from it (see each test). After event 1, question AF-001 is edited
and imported again (version 2), and a second event plays that new version, for the
statistics across events.

Fixtures:

- ``played`` (session scope: the event is played once): a :class:`Played` with the app, its
  database URL and what was created.
- ``copy_sessions``: sessions on a copy of that database, for tests that write to it.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from quiz.app import create_app, hub_of
from quiz.bank.importer import import_bank, import_questions
from quiz.bank.schema import question_from_content
from quiz.bank.validate import load_bank
from quiz.config import TestingConfig
from quiz.db import make_engine, make_session_factory, migrate
from quiz.live.clock import ManualClock
from quiz.live.hub import LiveHub
from quiz.models.bank import Question, QuestionVersion
from tests.server.conftest import TC

TOKEN = "7c2e9a4f1b8d3e6a0c5f2b9d4a7e1c3f"  # strong enough for `quiz serve --token`
STEP_MS = 250  # between commands: keeps every client under the server's rate limit
# Typed by the host, so typed by an attacker too: the report must escape the first and keep
# spreadsheets from running the second.
EVIL_NAME = '<script>alert("x")</script>&<b>'
FORMULA_NAME = "=1+2"

# (question code, [(phone, action)]) per question. Contestant actions: "early" (buzz before
# buzzing opens), "buzz", "right", "wrong" (answer on the phone); ("host", ("wait", ms)) lets
# time pass with buzzing open; ("audience", {phone: "right" | "wrong"}) are audience phones
# answering while the question is open.
Step = tuple[str, Any]
EVENT_ONE: dict[str, Any] = {
    "match1": {
        "red": EVIL_NAME,
        "blue": "李四",
        "rules": {},  # best of five
        "questions": [
            (
                "AF-001",
                [
                    ("audience", {"a1": "right", "a2": "right", "a3": "wrong"}),
                    ("red", "buzz"),
                    ("red", "right"),
                ],
            ),
            (
                "RP-001",
                [
                    ("audience", {"a1": "wrong", "a2": "wrong"}),
                    ("blue", "buzz"),
                    ("blue", "wrong"),
                    ("red", "right"),
                ],
            ),
            ("RU-001", [("red", "buzz"), ("red", "wrong"), ("blue", "wrong")]),
            ("AF-002", [("blue", "buzz"), ("blue", "right")]),
            ("PI-001", [("red", "buzz"), ("red", "right")]),
        ],
    },
    "match2": {
        "red": "王五",
        "blue": FORMULA_NAME,
        "rules": {"games_to_win": 2},
        "questions": [
            # Nobody buzzes: void (the audience still answers).
            ("AF-003", [("audience", {"a2": "right"}), ("host", ("wait", 10_500))]),
            ("AF-004", [("blue", "buzz"), ("blue", "wrong"), ("red", "wrong")]),
            ("RP-002", [("blue", "early"), ("red", "buzz"), ("red", "right")]),
            ("RU-002", [("blue", "buzz"), ("blue", "right")]),
            (
                "LS-001",
                [
                    ("audience", {"a1": "right", "a3": "right", "a4": "wrong"}),
                    ("red", "buzz"),
                    ("red", "wrong"),
                    ("blue", "right"),
                ],
            ),
        ],
    },
}
EVENT_TWO: dict[str, Any] = {
    "match": {
        "red": "周七",
        "blue": "吴八",
        "rules": {"games_to_win": 1},
        "questions": [("AF-001", [("red", "buzz"), ("red", "wrong"), ("blue", "right")])],
    },
}
_devices = itertools.count(1)


@dataclass
class Played:
    app: Flask
    database_url: str
    sessions: sessionmaker[Session]
    event_one: int
    event_two: int
    matches: list[int] = field(default_factory=list)
    #: question code -> version id of the version each event showed
    versions_one: dict[str, str] = field(default_factory=dict)
    af001_v2: str = ""

    @property
    def hub(self) -> LiveHub:
        return hub_of(self.app)

    def checkpoint(self) -> Path:
        """Move SQLite's write-ahead log into the database file, so that the file alone holds
        everything (for another process, or a copy); returns its path."""
        with self.sessions() as session:
            session.connection().exec_driver_sql("PRAGMA wal_checkpoint(FULL)")
        return Path(self.database_url.removeprefix("sqlite:///"))


class Driver:
    """The host console and the phones, one command at a time, with the clock moving."""

    def __init__(self, app: Flask, clock: ManualClock) -> None:
        self.app = app
        self.clock = clock
        self.hub = hub_of(app)
        self.host = TC(app, {"v": 1, "role": "host", "token": TOKEN, "device": "host-device-1"})
        assert self.host.connected
        # Audience phones: no seat code. They stay connected for the whole event.
        self.audience = {
            name: TC(app, {"v": 1, "role": "player", "device": f"audience-phone-{name}"})
            for name in ("a1", "a2", "a3", "a4")
        }

    def step(self, ms: int = STEP_MS) -> None:
        self.clock.advance(ms)
        self.hub.tick()

    def ok(self, ack: dict[str, Any]) -> dict[str, Any]:
        assert ack.get("ok"), ack
        return ack

    def admin(self, type: str, **args: Any) -> dict[str, Any]:
        self.step()
        return self.ok(self.host.command(type, **args))

    def match_command(self, type: str, **args: Any) -> dict[str, Any]:
        self.step()
        return self.ok(self.host.host(type, **args))

    def phone(self, client: TC, type: str, **args: Any) -> dict[str, Any]:
        self.step()
        return self.ok(client.command(type, **args))

    def play_match(self, spec: dict[str, Any], version_of: dict[str, str]) -> int:
        red = self.admin("add_contestant", name=spec["red"])["contestant_id"]
        blue = self.admin("add_contestant", name=spec["blue"])["contestant_id"]
        match_id = self.admin(
            "create_match", red=red, blue=blue, rules=spec["rules"], filter={}, seed="report"
        )["match_id"]
        seats = {
            s["side"]: s["code"]
            for s in self.host.last("console")["seats"]
            if s["match_id"] == match_id
        }
        phones = {
            side: TC(
                self.app,
                {
                    "v": 1,
                    "role": "player",
                    "seat": seats[side],
                    "device": f"phone-{next(_devices):04d}",
                },
            )
            for side in ("red", "blue")
        }
        assert all(p.connected for p in phones.values())
        self.admin("start_match", match_id=match_id)
        for code, steps in spec["questions"]:
            self.match_command("show_question", question_id=version_of[code])
            opened = False
            for side, action in steps:
                if side == "audience":
                    for name, verdict in action.items():
                        choices = self.choices(version_of[code], right=verdict == "right")
                        self.phone(self.audience[name], "answer", choices=choices)
                elif isinstance(action, tuple):
                    if not opened:
                        self.match_command("open_buzzing")
                        opened = True
                    self.step(action[1])
                elif action == "early":
                    ack = self.phone(phones[side], "buzz", press_at=None)
                    assert "early_buzz" in ack["events"], ack
                elif action == "buzz":
                    if not opened:
                        self.match_command("open_buzzing")
                        opened = True
                    ack = self.phone(phones[side], "buzz", press_at=None)
                    assert "buzz_won" in ack["events"], ack
                else:
                    choices = self.choices(version_of[code], right=action == "right")
                    ack = self.phone(phones[side], "choice", choices=choices)
                    assert "answer_judged" in ack["events"], ack
        state = self.host.last()
        assert state["match"]["id"] == match_id and state["match"]["phase"] == "finished", state
        return int(match_id)

    def choices(self, version_id: str, right: bool) -> list[str]:
        with self.hub.sessions() as session:
            content = session.get(QuestionVersion, int(version_id)).content  # type: ignore[union-attr]
        answer = content["answer"]
        key = [answer] if isinstance(answer, str) else sorted(answer)
        if right:
            return key
        letters = [chr(ord("A") + i) for i in range(len(content["options"]))]
        return [next(letter for letter in letters if letter not in key)]


def current_versions(sessions: sessionmaker[Session]) -> dict[str, str]:
    with sessions() as session:
        rows = session.execute(
            select(Question.id, QuestionVersion.id).join(
                QuestionVersion,
                (QuestionVersion.question_id == Question.id)
                & (QuestionVersion.version == Question.current_version),
            )
        ).all()
    return {code: str(version_id) for code, version_id in rows}


def edit_af001(sessions: sessionmaker[Session]) -> None:
    """A new version of AF-001: the organiser reworded the prompt."""
    with sessions() as session:
        row = session.get(Question, "AF-001")
        assert row is not None
        content = dict(row.current.content)
    content["prompt"] = {**content["prompt"], "zh": content["prompt"]["zh"] + "（修订）"}
    report = import_questions(sessions, [question_from_content(content)])
    assert report.changed == ("AF-001",)


@pytest.fixture(scope="session")
def played(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Played]:
    folder = tmp_path_factory.mktemp("report-event")
    url = f"sqlite:///{folder / 'quiz.sqlite3'}"
    engine = make_engine(url)
    migrate(engine)  # the real schema, so `quiz serve` can open this database too
    engine.dispose()
    clock = ManualClock()
    app = create_app(TestingConfig(DATABASE_URL=url, CLOCK=clock, HOST_TOKEN=TOKEN))
    hub = hub_of(app)
    sessions = hub.sessions
    import_bank(sessions, load_bank())
    driver = Driver(app, clock)

    versions_one = current_versions(sessions)
    event_one = driver.admin("create_event", title="东城区反诈宣传日 <i>2026</i>")["event_id"]
    matches = [
        driver.play_match(EVENT_ONE["match1"], versions_one),
        driver.play_match(EVENT_ONE["match2"], versions_one),
    ]
    edit_af001(sessions)
    versions_two = current_versions(sessions)
    event_two = driver.admin("create_event", title="西城区网络安全周", lang="en")["event_id"]
    matches.append(driver.play_match(EVENT_TWO["match"], versions_two))
    for client in (driver.host, *driver.audience.values()):
        client.client.disconnect()
    yield Played(
        app=app,
        database_url=url,
        sessions=sessions,
        event_one=int(event_one),
        event_two=int(event_two),
        matches=matches,
        versions_one=versions_one,
        af001_v2=versions_two["AF-001"],
    )
    hub.stop()
    app.extensions["quiz.db"]["engine"].dispose()


@pytest.fixture
def copy_sessions(played: Played, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    copy = tmp_path / "copy.sqlite3"
    shutil.copy(played.checkpoint(), copy)
    engine = make_engine(f"sqlite:///{copy}")
    yield make_session_factory(engine)
    engine.dispose()
