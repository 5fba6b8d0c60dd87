"""The ``quiz serve`` command.

``quiz.cli`` has already monkey-patched the standard library for gevent (or eventlet) before
this module is imported, so the sockets created here are cooperative.
"""

from __future__ import annotations

import errno
import io
import signal
import sys
from collections.abc import Callable
from typing import Any

import click

from quiz.clihelp import help_option
from quiz.datadir import data_dir, data_dir_option, token_path
from quiz.server.net import lan_addresses, make_listener, raise_open_files_limit, set_nodelay
from quiz.server.venue import address_limits, https_files, venue_options


@click.command(add_help_option=False)
@help_option
@click.option(
    "--host",
    default="0.0.0.0",
    show_default=True,
    help="监听地址 / address to listen on (0.0.0.0: every network of this laptop).",
)
@click.option(
    "--port",
    default=5000,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="端口 / port to listen on (make serve: PORT=5001 make serve).",
)
@click.option(
    "--async",
    "async_mode",
    type=click.Choice(["gevent", "eventlet", "threading"]),
    default="gevent",
    show_default=True,
    help="并发模型 / concurrency model (threading is for development only).",
)
@data_dir_option
@click.option(
    "--database-url",
    default=None,
    help="数据库地址 / SQLAlchemy URL (default: $DATABASE_URL, else quiz.sqlite3 in the data "
    "folder).",
)
@click.option(
    "--bank",
    "bank_path",
    default=None,
    type=click.Path(exists=True, file_okay=False),
    help="题库文件夹 / question bank folder imported on first run (default: the bundled "
    "question_bank/).",
)
@click.option(
    "--cert",
    default=None,
    type=click.Path(exists=True, dir_okay=False),
    help="HTTPS 证书文件（PEM，与 --key 一起用） / HTTPS certificate file (PEM, with --key).",
)
@click.option(
    "--key",
    default=None,
    type=click.Path(exists=True, dir_okay=False),
    help="HTTPS 私钥文件（PEM，与 --cert 一起用） / HTTPS private key file (PEM, with --cert).",
)
@click.option(
    "--token",
    default=None,
    help="主持人口令 / host token, at least 128 bits of randomness (default: the one kept in the "
    "data folder; a random one on the first start).",
)
@click.option(
    "--new-token",
    is_flag=True,
    help="更换主持人口令 / replace the kept host token with a fresh one (old host links stop "
    "working).",
)
@click.option(
    "--public-url",
    default=None,
    help="对外地址 / base URL printed and put in QR codes (default: this laptop's LAN address).",
)
@click.option("--quiet-qr", is_flag=True, help="不打印二维码 / do not print the join QR code.")
@venue_options
@click.option(
    "--resume-deadlines",
    type=click.Choice(["paused", "continue"]),
    default="paused",
    show_default=True,
    help="重启后的计时 / after a restart, a running clock comes back paused (the host resumes) "
    "or continues from its logged deadline.",
)
@click.option(
    "--min-free-mb",
    default=None,
    type=click.IntRange(0),
    help="磁盘余量下限 / refuse commands (storage_unavailable) when the data folder has less "
    "free space than this, in MB (default: $QUIZ_MIN_FREE_MB, else 64).",
)
@click.option(
    "--survey",
    "survey_file",
    default=None,
    type=click.Path(exists=True, dir_okay=False),
    help="满意度调查文件 / survey file (default: survey.yaml in the data folder, else the "
    "bundled one).",
)
@click.option(
    "--playlist",
    "playlist_file",
    default=None,
    type=click.Path(exists=True, dir_okay=False),
    help="大屏轮播文件 / LED playlist file for between matches (default: playlist.yaml in the "
    "data folder).",
)
def serve(
    host: str,
    port: int,
    async_mode: str,
    database_url: str | None,
    bank_path: str | None,
    cert: str | None,
    key: str | None,
    token: str | None,
    new_token: bool,
    public_url: str | None,
    quiet_qr: bool,
    resume_deadlines: str,
    min_free_mb: int | None,
    remote_host: bool,
    self_signed: bool,
    survey_file: str | None,
    playlist_file: str | None,
    **per_ip: Any,
) -> None:
    """启动现场抢答服务器（主持人控制台、大屏、选手手机） / run the live quiz server (host
    console, LED display, phone buzzers)."""
    limits = address_limits(per_ip)
    if bool(cert) != bool(key):
        raise click.UsageError("--cert and --key go together")
    if token is not None and new_token:
        raise click.UsageError(
            "--token 与 --new-token 只能选一个 / --token and --new-token exclude each other"
        )
    from quiz.server.setup import prepare_database
    from quiz.server.token import TokenStore, WeakToken

    folder = data_dir()
    click.echo(f"data folder 数据文件夹: {folder}")
    store = TokenStore(token_path())
    try:
        token, how = store.resolve(token, renew=new_token)
    except WeakToken as exc:
        raise click.BadParameter(str(exc), param_hint="--token") from None
    addresses = lan_addresses()
    cert, key = https_files(remote_host, self_signed, cert, key, folder, addresses, click.echo)
    url = prepare_database(database_url, bank_path, echo=click.echo)
    click.echo(f"database 数据库: {_shown_url(url)}")
    scheme = "https" if cert else "http"
    if public_url is None:
        shown = host if host not in ("0.0.0.0", "::", "") else (addresses or ["127.0.0.1"])[0]
        public_url = f"{scheme}://{shown}:{port}"
    public_url = public_url.rstrip("/")

    from quiz.app import create_app, hub_of
    from quiz.config import ProductionConfig

    app = create_app(
        ProductionConfig(
            DATABASE_URL=url,
            HOST_TOKEN=token,
            HOST_TOKEN_FILE=str(store.path),
            PUBLIC_URL=public_url,
            SOCKETIO_ASYNC_MODE=async_mode,
            RESUME_DEADLINES=resume_deadlines,
            **({} if min_free_mb is None else {"STORAGE_MIN_FREE_MB": min_free_mb}),
            REMOTE_HOST=remote_host,
            ADDRESS_LIMITS=limits,
            SURVEY_FILE=survey_file,
            PLAYLIST_FILE=playlist_file,
        )
    )
    open_files = raise_open_files_limit()
    from quiz.server.deflate import install as share_deflate

    share_deflate()  # one compression per broadcast (gevent and threading)
    # Every page's template compiled now, not by its first request: the report's takes tens of
    # milliseconds, a stall of every phone at the moment the organiser first opens it.
    from quiz.report.render import compile_templates, uses_own_environment

    for name in app.jinja_env.list_templates(extensions=("html",)):
        if not uses_own_environment(name):
            app.jinja_env.get_template(name)
    compile_templates()
    from quiz.live.collector import collect_and_freeze

    # Start-up's objects (app, bank, ORM mappings) live as long as the server: out of the
    # collector's full passes, which would walk them while every socket waits.
    collect_and_freeze()
    listener = _listen(host, port)
    _banner(public_url, token, addresses, scheme, port, quiet_qr)
    click.echo(f"  {_TOKEN_NOTES[how]}")
    sys.stdout.flush()
    ssl: dict[str, Any] = {"certfile": cert, "keyfile": key} if cert else {}
    try:
        if async_mode == "gevent":
            _serve_gevent(app, listener, ssl, on_stop=hub_of(app).stop)
        elif async_mode == "eventlet":
            _serve_eventlet(app, listener, ssl, on_stop=hub_of(app).stop, open_files=open_files)
        else:
            listener.close()
            from quiz.extensions import socketio

            socketio.run(
                app,
                host=host,
                port=port,
                allow_unsafe_werkzeug=True,
                ssl_context=(cert, key) if cert else None,
            )
    except KeyboardInterrupt:
        click.echo("stopped")


_TOKEN_NOTES = {
    "kept": "主持人口令沿用上次（quiz serve --new-token 可更换） / host token kept from the "
    "last start (quiz serve --new-token makes a new one)",
    "new": "新的主持人口令已保存 / a new host token was saved",
    "given": "使用 --token 指定的口令并已保存 / the --token given is in use and saved",
}


def _listen(host: str, port: int) -> Any:
    """The listening socket, or one clear line and exit code 1 (no traceback): a port in use
    or an address this laptop does not have is the user's to fix, not a crash."""
    try:
        return make_listener(host, port)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            line = (
                f"端口 {port} 已被占用 / port {port} is in use: try PORT={port + 1} "
                f"(quiz serve --port {port + 1})"
            )
        elif exc.errno == errno.EACCES:
            line = (
                f"没有权限使用端口 {port} / no permission to use port {port}: "
                f"try PORT={max(port, 1024) + 1}"
            )
        elif exc.errno == errno.EADDRNOTAVAIL:
            line = f"本机没有地址 {host} / this computer has no address {host}: try --host 0.0.0.0"
        else:
            line = f"无法监听 {host}:{port} / cannot listen on {host}:{port}: {exc.strerror or exc}"
        click.echo(line, err=True)
        sys.exit(1)


def _shown_url(url: str) -> str:
    """The database URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _serve_gevent(
    app: Any, listener: Any, ssl: dict[str, Any], on_stop: Callable[[], None]
) -> None:
    import logging

    import gevent

    from quiz.server.limits import LogThrottle, QuietErrorLog

    quiet = QuietErrorLog(LogThrottle(logging.getLogger("quiz.server.http")))
    server = _no_delay_server()(
        listener, _closed_socket_as_epipe(app), log=None, error_log=quiet, **ssl
    )

    def stop() -> None:
        # Ctrl+C / SIGTERM: stop the ticker, close the listener, give requests a second.
        on_stop()
        server.stop(timeout=1)

    for sig in (signal.SIGINT, signal.SIGTERM):
        gevent.signal_handler(sig, stop)
    server.serve_forever()


def _closed_socket_as_epipe(app: Any) -> Any:
    """The app, with a WebSocket closed under it reported as ``EPIPE``.

    engine.io's WebSocket driver raises a bare ``OSError()`` when it writes to a socket the
    phone has already closed (a reload, a seat takeover). gevent's handler reads
    ``ex.args[0]`` of any socket error to decide whether it is worth logging, so the bare one
    became an ``IndexError`` traceback per closed page. As ``EPIPE`` it is what it is: a peer
    gone, which gevent ignores quietly."""

    def wsgi(environ: Any, start_response: Any) -> Any:
        try:
            return app(environ, start_response)
        except OSError as exc:
            if exc.args:
                raise
            raise OSError(errno.EPIPE, "the client closed the WebSocket") from None

    return wsgi


def _no_delay_server() -> type:
    from gevent import pywsgi

    class _NoDelayServer(pywsgi.WSGIServer):  # type: ignore[misc]
        """gevent's WSGI server with TCP_NODELAY on every accepted connection."""

        def handle(self, sock: Any, address: Any) -> Any:
            set_nodelay(sock)
            return super().handle(sock, address)

    return _NoDelayServer


def _serve_eventlet(
    app: Any,
    listener: Any,
    ssl: dict[str, Any],
    on_stop: Callable[[], None],
    open_files: int = 1024,
) -> None:
    import eventlet
    import eventlet.wsgi

    def stop(*_args: Any) -> None:
        on_stop()
        raise SystemExit(0)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)

    sock = eventlet.wrap_ssl(listener, server_side=True, **ssl) if ssl else listener
    # eventlet serves at most max_size connections at once (default 1024): a phone's socket
    # holds one for its whole life, so the bound is the open-file limit, not eventlet's default.
    eventlet.wsgi.server(
        eventlet.greenio.GreenSocket(sock), app, log_output=False, max_size=max(open_files, 1024)
    )


def _banner(
    public_url: str, token: str, addresses: list[str], scheme: str, port: int, quiet_qr: bool
) -> None:
    echo = click.echo
    echo("")
    echo("  quiz is running.  按 Ctrl+C 停止 / press Ctrl+C to stop")
    echo("")
    echo(f"  Host console 主持台 : {public_url}/host?token={token}")
    echo(f"  LED display  大屏幕 : {public_url}/display")
    echo(f"  Phones join  观众   : {public_url}/j")
    echo("")
    if addresses:
        echo("  LAN addresses of this machine (pick the venue Wi-Fi one):")
        for addr in addresses:
            echo(f"    {scheme}://{addr}:{port}/")
    else:
        echo("  No LAN address found: connect this laptop to the venue Wi-Fi.")
    if not quiet_qr:
        import qrcode

        qr = qrcode.QRCode(border=1)
        qr.add_data(f"{public_url}/j")
        buf = io.StringIO()
        qr.print_ascii(out=buf, invert=True)
        echo("")
        echo(buf.getvalue())
    sys.stdout.flush()
