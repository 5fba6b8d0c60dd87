"""The in-process server fixtures of tests/server, for the fair-buzzing integration tests."""

from tests.server.conftest import app, clock, connect, hub, make_app, questions

__all__ = ["app", "clock", "connect", "hub", "make_app", "questions"]
