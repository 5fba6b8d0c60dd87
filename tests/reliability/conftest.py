"""The in-process fixtures of tests/server (app with a hand-moved clock, Socket.IO test
clients, a started match) for the reliability tests that need no subprocess."""

from tests.server.conftest import app, clock, connect, hub, live, make_app, questions

__all__ = ["app", "clock", "connect", "hub", "live", "make_app", "questions"]
