"""The application factory: Flask app, Socket.IO, database, live hub and routes in one place.

``create_app`` is used by ``quiz serve``, by the tests and by anything else that needs the
web application; configuration comes in as a :class:`~quiz.config.Config` (or a name).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

# Importing quiz.sockets registers the Socket.IO handlers. That must happen before the first
# ``socketio.init_app`` (so at import time, not in create_app): handlers declared on an already
# bound SocketIO are attached to that one server only and lost for the next app.
from quiz import sockets as _sockets
from quiz.config import CONFIGS, Config
from quiz.datadir import data_dir
from quiz.db import default_database_url, make_engine, make_session_factory
from quiz.extensions import socketio
from quiz.live.clock import Clock
from quiz.live.hub import LiveHub
from quiz.live.questions import QuestionSource
from quiz.resources import PACKAGE_DIR, static_dir, templates_dir
from quiz.server.token import TokenStore

del _sockets

ASYNC_MODES = ("gevent", "eventlet", "threading")


def create_app(config: Config | str | None = None, **overrides: Any) -> Flask:
    if config is None or isinstance(config, str):
        config = CONFIGS[config or "production"]()
    for key, value in overrides.items():
        setattr(config, key, value)
    if config.SOCKETIO_ASYNC_MODE not in ASYNC_MODES:
        raise ValueError(f"async mode must be one of {', '.join(ASYNC_MODES)}")

    app = Flask(
        "quiz",
        root_path=str(PACKAGE_DIR),
        # Inside the package in a wheel, at the top of a checkout: see quiz.resources.
        template_folder=str(templates_dir()),
        static_folder=str(static_dir()),
        static_url_path="/static",
        instance_path=str(data_dir(create=False)),
    )
    app.config.from_mapping(config.as_dict())
    # The console's rotate command saves its new token here, so it survives a restart too.
    store = TokenStore(Path(config.HOST_TOKEN_FILE) if config.HOST_TOKEN_FILE else None)
    app.extensions["quiz.token_store"] = store
    token = config.HOST_TOKEN or store.resolve()[0]
    app.config["HOST_TOKEN"] = token

    url = config.DATABASE_URL or default_database_url()
    app.config["DATABASE_URL"] = url
    engine = make_engine(url)
    if getattr(config, "CREATE_TABLES", False):
        # Tests only: production schemas come from Alembic (quiz serve runs the migrations).
        from quiz.models import Base  # the package import registers every model

        Base.metadata.create_all(engine)
    sessions = make_session_factory(engine)
    app.extensions["quiz.db"] = {"engine": engine, "sessions": sessions}

    # Every transport limit is explicit: see quiz.config for the reasons.
    socketio.init_app(
        app,
        async_mode=config.SOCKETIO_ASYNC_MODE,
        cors_allowed_origins=config.SOCKETIO_CORS_ALLOWED_ORIGINS,
        max_http_buffer_size=config.SOCKETIO_MAX_HTTP_BUFFER_SIZE,
        ping_interval=config.SOCKETIO_PING_INTERVAL,
        ping_timeout=config.SOCKETIO_PING_TIMEOUT,
        message_queue=config.SOCKETIO_MESSAGE_QUEUE,
        cookie=None,
    )
    from quiz.server.limits import BodyLimit, bound_websockets
    from quiz.sockets.wire import install as install_wire

    install_wire(socketio.server)  # unreadable payloads get an error ack, not silence
    # WebSocket messages are refused as they arrive, not once buffered whole.
    bound_websockets(socketio.server.eio, config.SOCKETIO_MAX_HTTP_BUFFER_SIZE)

    # Outermost, so that it covers the Socket.IO endpoint as well as the pages.
    limit = max(config.MAX_CONTENT_LENGTH, config.SOCKETIO_MAX_HTTP_BUFFER_SIZE)
    app.wsgi_app = BodyLimit(app.wsgi_app, limit)  # type: ignore[method-assign]

    questions: QuestionSource | None = getattr(config, "QUESTION_SOURCE", None)
    if questions is None:
        from quiz.live.bank_source import BankQuestionSource

        questions = BankQuestionSource(sessions)
    clock = getattr(config, "CLOCK", None) or Clock()
    hub = LiveHub(
        socketio=socketio,
        sessions=sessions,
        questions=questions,
        clock=clock,
        async_mode=config.SOCKETIO_ASYNC_MODE,
        host_token=token,
        # A token rotated from the console is saved too, so that it survives a restart.
        save_token=store.save,
        public_url=config.PUBLIC_URL,
        tick_max_ms=config.TICK_MAX_MS,
        resume_deadlines=config.RESUME_DEADLINES,
        gc_maintenance=config.GC_MAINTENANCE,
        min_free_mb=config.STORAGE_MIN_FREE_MB,
        remote_host=config.REMOTE_HOST,
        address_limits=config.ADDRESS_LIMITS,
        survey_file=Path(config.SURVEY_FILE) if config.SURVEY_FILE else None,
        playlist_file=Path(config.PLAYLIST_FILE) if config.PLAYLIST_FILE else None,
    )
    app.extensions["quiz.hub"] = hub
    cluster = None
    if config.SOCKETIO_MESSAGE_QUEUE:
        # Several processes: only the one holding the lease loads matches and ticks.
        from quiz.live.cluster import Cluster

        cluster = Cluster(hub, socketio, config.SOCKETIO_MESSAGE_QUEUE, ticker=config.LIVE_TICKER)
        app.extensions["quiz.front"] = cluster
    else:
        hub.load()

    from quiz import i18n

    i18n.init_app(app, event_lang=lambda: hub.event.get("lang"))

    from quiz.live.playlist_views import bp as playlist_bp
    from quiz.live.tournament_views import bp as tournament_bp
    from quiz.report.web import bp as report_bp
    from quiz.server.headers import add_security_headers
    from quiz.views import bp

    app.after_request(add_security_headers)  # CSP, framing, nosniff, no referrer on every page
    app.register_blueprint(bp)
    app.register_blueprint(report_bp)
    app.register_blueprint(tournament_bp)
    app.register_blueprint(playlist_bp)
    if cluster is not None:
        cluster.start()
    elif config.LIVE_TICKER:
        hub.start_ticker()
    return app


def hub_of(app: Flask) -> LiveHub:
    hub: LiveHub = app.extensions["quiz.hub"]
    return hub
