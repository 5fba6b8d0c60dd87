"""Application configuration: one class per environment, selected by name or passed directly.

Every Socket.IO transport limit is set explicitly here rather than left to library defaults,
because phones on a crowded venue Wi-Fi are the normal case, not the exception.
"""

from __future__ import annotations

import os
import secrets
from typing import Any


class Config:
    SECRET_KEY: str = os.environ.get("QUIZ_SECRET_KEY") or secrets.token_hex(32)
    # Requests carry nothing bigger than a command; refuse anything else early.
    MAX_CONTENT_LENGTH: int = 64 * 1024
    JSON_AS_ASCII: bool = False

    DATABASE_URL: str | None = None  # None: quiz.db.default_database_url()
    # Run Alembic on start-up (quiz serve); tests create tables directly instead.
    MIGRATE_ON_START: bool = False

    # The host token; None: the one saved in HOST_TOKEN_FILE, else a fresh one.
    HOST_TOKEN: str | None = None
    # Where the host token is kept across restarts (quiz serve: <data folder>/host-token); the
    # console's rotate command saves there too. None: kept in memory only.
    HOST_TOKEN_FILE: str | None = None
    # Absolute base URL for QR codes and join links, e.g. "http://192.168.1.20:5000".
    # None: derived from the request's Host header.
    PUBLIC_URL: str | None = None
    DEFAULT_LANG: str = "zh-CN"
    LANGS: tuple[str, ...] = ("zh-CN", "en")

    SOCKETIO_ASYNC_MODE: str = "gevent"
    # None is engine.io's same-origin check: the WebSocket Origin must equal the server's own
    # origin as the browser reached it (whatever LAN address that was). Add extra origins
    # (e.g. a reverse proxy) as a list.
    SOCKETIO_CORS_ALLOWED_ORIGINS: list[str] | None = None
    SOCKETIO_MAX_HTTP_BUFFER_SIZE: int = 64 * 1024
    # Phones lock their screens and roam between access points: ping often enough to notice a
    # dead phone within half a minute, but tolerate a few seconds of radio silence.
    SOCKETIO_PING_INTERVAL: int = 10
    SOCKETIO_PING_TIMEOUT: int = 20
    # Several server processes share one Redis (docs/scale-out.md): e.g. "redis://10.0.0.5:6379/0".
    # None: a single process, no Redis.
    SOCKETIO_MESSAGE_QUEUE: str | None = os.environ.get("REDIS_URL") or None

    # The live-match ticker: a background task; tests switch it off and tick by hand.
    LIVE_TICKER: bool = True
    # Full garbage collections only at quiet moments (quiz/live/collector.py); `quiz serve`
    # freezes its start-up objects for it.
    GC_MAINTENANCE: bool = True
    # Upper bound on how long the ticker sleeps while a deadline is pending (ms).
    TICK_MAX_MS: int = 50
    # After a restart, deadlines that were running come back "paused" (the host resumes) or
    # "continue" from their logged server times (docs/reliability.md).
    RESUME_DEADLINES: str = "paused"
    # Below this much free space (MB) in the database's folder the server refuses commands as
    # storage_unavailable before a write fails (quiz/live/storage.py).
    STORAGE_MIN_FREE_MB: int = int(os.environ.get("QUIZ_MIN_FREE_MB", "64"))
    # The host console from another machine (over HTTPS only: quiz serve checks); by default
    # the host role is accepted only from the server's own machine (loopback).
    REMOTE_HOST: bool = False
    # Per-address limits (quiz.live.addresses.AddressLimits); None: the defaults.
    ADDRESS_LIMITS: Any = None
    #: The survey and LED playlist files (quiz serve --survey / --playlist); None: the data
    #: folder's survey.yaml / playlist.yaml (quiz.organiser_files).
    SURVEY_FILE: str | None = None
    PLAYLIST_FILE: str | None = None
    # Directory of the bundled question bank, imported on first run by quiz serve.
    BANK_PATH: str | None = None

    def __init__(self, **overrides: Any) -> None:
        for key, value in overrides.items():
            if not key.isupper():
                raise ValueError(f"config keys are upper case: {key!r}")
            setattr(self, key, value)

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in dir(self) if k.isupper()}


class DevelopmentConfig(Config):
    DEBUG = True


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing"
    DATABASE_URL = "sqlite://"
    SOCKETIO_ASYNC_MODE = "threading"
    LIVE_TICKER = False
    GC_MAINTENANCE = False
    HOST_TOKEN = "test-host-token"
    SOCKETIO_MESSAGE_QUEUE = None


class ProductionConfig(Config):
    MIGRATE_ON_START = True


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
