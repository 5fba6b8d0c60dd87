"""Storage the server cannot write: reported, refused, nothing acknowledged unstored.

The tests run as root, whom file permissions do not stop, so a read-only database is made with
``chattr +i`` (the immutable flag stops root too: SQLite then opens the file read-only) and a
full disk is a real one: a small ``tmpfs`` mounted for the test and filled up. Where the
sandbox allows neither, the test is skipped and says why. ``quiz serve`` runs as a subprocess.
"""

from __future__ import annotations

import contextlib
import errno
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import LiveServer, Peer, stop_server

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

#: The write probe runs every 5 s (quiz/live/storage.py), every second while failing.
NOTICED_S = 10


def _health(server: LiveServer) -> dict[str, Any]:
    health: dict[str, Any] = requests.get(f"{server.url}/healthz", timeout=5).json()
    return health


def _wait_health(server: LiveServer, ok: bool, timeout: float = NOTICED_S) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        health = _health(server)
        if health["ok"] is ok:
            return health
        assert time.monotonic() < deadline, health
        time.sleep(0.2)


def _contestants(host: Peer) -> list[str]:
    console = host.last("console")
    return [c["name"] for c in console["contestants"]]


def _refused(ack: dict[str, Any], *reasons: str) -> None:
    assert ack["ok"] is False, ack
    assert ack["error"]["code"] == "storage_unavailable", ack
    assert ack["error"]["reason"] in reasons, ack


@contextlib.contextmanager
def _immutable(path: Path) -> Iterator[None]:
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not supported on this filesystem")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=False)


def test_a_read_only_database_is_reported_and_commands_are_refused(
    live_server_factory: Callable[..., LiveServer], sio_peer: Callable[..., Peer]
) -> None:
    server = live_server_factory()
    host = sio_peer(server, "host", token=server.token)
    host.wait_for(lambda c: True, name="console")
    assert host.command("add_contestant", name="甲")["ok"]
    stop_server(server)
    database = Path(server.database_url.removeprefix("sqlite:///"))
    with _immutable(database):
        # Started on an unwritable database: it comes up (the pages show the last state), but
        # says so before it takes any command.
        server = live_server_factory(
            port=server.port, database_url=server.database_url, token=server.token, healthy=False
        )
        health = _health(server)
        assert health["ok"] is False and health["storage"]["reason"] == "read_only"
        host = sio_peer(server, "host", token=server.token)
        console = host.wait_for(lambda c: True, name="console")
        assert console["storage"]["ok"] is False and console["storage"]["reason"] == "read_only"
        _refused(host.command("add_contestant", name="乙"), "read_only")
    # Writable again: noticed without a restart, and the refused command can be sent again.
    _wait_health(server, ok=True)
    host.wait_for(lambda c: c["storage"]["ok"], name="console")
    assert host.command("add_contestant", name="乙")["ok"]
    assert _contestants(host) == ["甲", "乙"]
    # Locked while running: the periodic check sees it. The WAL checkpoint thread may see it
    # first, as SQLite's "disk I/O error" on the file it cannot write back into.
    with _immutable(database):
        health = _wait_health(server, ok=False)
        assert health["storage"]["reason"] in ("read_only", "io_error")
        host.wait_for(lambda c: not c["storage"]["ok"], name="console")
        _refused(host.command("add_contestant", name="丙"), "read_only", "io_error")
    _wait_health(server, ok=True)
    assert _contestants(host) == ["甲", "乙"]


@contextlib.contextmanager
def _small_disk(folder: Path, size: str) -> Iterator[Path]:
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode(errors='replace')}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _fill(path: Path) -> int:
    """Write until the disk is full (ENOSPC); the bytes written."""
    written = 0
    chunk = b"\0" * (256 * 1024)
    with path.open("wb", buffering=0) as filler:
        try:
            while True:
                written += filler.write(chunk)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
        with contextlib.suppress(OSError):  # the last bytes, less than a chunk
            while True:
                written += filler.write(b"\0" * 512)
    return written


def test_a_full_disk_refuses_commands_until_there_is_room(
    live_server_factory: Callable[..., LiveServer], sio_peer: Callable[..., Peer], tmp_path: Path
) -> None:
    with _small_disk(tmp_path / "disk", "16m") as disk:
        # --min-free-mb 0: only a write that fails tells the server (the threshold is below).
        server = live_server_factory(
            database_url=f"sqlite:///{disk / 'quiz.sqlite3'}", extra_args=("--min-free-mb", "0")
        )
        try:
            host = sio_peer(server, "host", token=server.token)
            host.wait_for(lambda c: True, name="console")
            assert host.command("add_contestant", name="甲")["ok"]
            assert _fill(disk / "filler") > 0
            # Long names: the WAL append needs more than the few bytes a full tmpfs might
            # still find in a page it already holds.
            ack = host.command("add_contestant", name="满" * 40)
            if ack["ok"]:  # that one fitted in the WAL's last page: the next will not
                ack = host.command("add_contestant", name="溢" * 40)
            _refused(ack, "disk_full")
            health = _health(server)
            assert health["ok"] is False and health["storage"]["reason"] == "disk_full"
            host.wait_for(lambda c: not c["storage"]["ok"], name="console")
            # The verdict holds (the probe cannot see a full disk) until there is room.
            time.sleep(2)
            assert _health(server)["ok"] is False
            _refused(host.command("add_contestant", name="乙"), "disk_full")
            (disk / "filler").unlink()
            _wait_health(server, ok=True)
            assert host.command("add_contestant", name="乙")["ok"]
            names = _contestants(host)
            assert names[0] == "甲" and names[-1] == "乙" and "乙" not in names[:-1]
        finally:
            stop_server(server)


def test_free_space_below_the_threshold_refuses_commands(
    live_server_factory: Callable[..., LiveServer], sio_peer: Callable[..., Peer]
) -> None:
    server = live_server_factory(extra_args=("--min-free-mb", str(2**40)), healthy=False)
    health = _health(server)
    assert health["ok"] is False and health["storage"]["reason"] == "disk_full"
    host = sio_peer(server, "host", token=server.token)
    host.wait_for(lambda c: True, name="console")
    _refused(host.command("add_contestant", name="甲"), "disk_full")
    assert _contestants(host) == []
