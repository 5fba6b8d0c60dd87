"""Fixtures for the fair-buzzing tests: the in-process server of tests/server (integration) and
the system Chromium of tests/ui (browser tests)."""

from tests.server.conftest import app, clock, connect, hub, make_app, questions
from tests.ui.conftest import browser

__all__ = ["app", "browser", "clock", "connect", "hub", "make_app", "questions"]
