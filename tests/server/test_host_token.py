"""The host token survives restarts (issue 14, item 2): kept in the data folder with mode 0600,
printed again at each start, replaced by ``--new-token``; a ``--token`` given by hand needs at
least 128 bits. Real ``quiz serve`` subprocesses stopped with SIGINT, real host sockets."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import QUIZ, LiveServer, Peer, connect_peer, start_server, stop_server

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _host_connects(server: LiveServer, token: str) -> bool:
    try:
        peer = connect_peer(server.url, "host", token=token)
    except Exception:  # socketio.exceptions.ConnectionError: refused by the server
        return False
    connected = bool(peer.client.connected)
    peer.disconnect()
    return connected


def _restart(server: LiveServer, tmp_path: Path, **kwargs: Any) -> LiveServer:
    stop_server(server)  # SIGINT, as Ctrl+C
    assert server.proc.returncode == 0, server.output()
    return start_server(tmp_path, database_url=server.database_url, token_arg=False, **kwargs)


def test_token_survives_restart_and_new_token_replaces_it(tmp_path: Path) -> None:
    first = start_server(tmp_path, token_arg=False)
    try:
        token = first.token
        token_file = tmp_path / "host-token"
        assert token_file.read_text().strip() == token
        if os.name == "posix":
            assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert len(token) >= 32  # secrets.token_urlsafe(24)
        assert _host_connects(first, token)
        assert f"data folder 数据文件夹: {tmp_path.resolve()}" in first.output()

        second = _restart(first, tmp_path)
        assert second.token == token
        assert "host token kept from the last start" in second.output()
        assert _host_connects(second, token)

        third = _restart(second, tmp_path, extra_args=("--new-token",))
        assert third.token != token
        assert token_file.read_text().strip() == third.token
        assert not _host_connects(third, token)
        assert _host_connects(third, third.token)
    finally:
        for server in (first, locals().get("second"), locals().get("third")):
            if server is not None:
                stop_server(server)


@pytest.mark.parametrize(
    "token",
    ["short", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "0123456789abcdef0123456789abcde"],
)
def test_weak_token_refused_in_both_languages(tmp_path: Path, token: str) -> None:
    command = [str(QUIZ)] if QUIZ.exists() else [sys.executable, "-m", "quiz"]
    result = subprocess.run(
        [*command, "serve", "--port", "1", "--token", token, "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "主持人口令太短或太简单" in result.stderr
    assert "at least 128 needed" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "host-token").exists()


def test_rotate_persists_the_new_token(tmp_path: Path, sio_peer: Callable[..., Peer]) -> None:
    server = start_server(tmp_path, token_arg=False)
    try:
        host = sio_peer(server, "host", token=server.token)
        ack = host.command("rotate_token")
        assert ack["ok"], ack
        assert (tmp_path / "host-token").read_text().strip() == ack["token"]
        again = _restart(server, tmp_path)
        assert again.token == ack["token"]
        assert _host_connects(again, ack["token"])
        assert not _host_connects(again, server.token)
        stop_server(again)
    finally:
        stop_server(server)
