"""The host role from another machine (issue #15, finding 3): refused by default, even with
the right token; allowed with ``--remote-host``, which needs HTTPS; a report opened with the
token drops it from the address at once."""

from __future__ import annotations

import os
import re
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from flask import Flask

from quiz.app import hub_of
from quiz.live.protocol import PEER, ProtocolError
from quiz.server.tls import fingerprint
from tests.conftest import QUIZ, LiveServer, find_free_port
from tests.server.conftest import TOKEN

REMOTE = {"REMOTE_ADDR": "192.168.1.50"}


def _host_auth(address: str) -> dict[str, object]:
    return {"v": 1, "role": "host", "token": TOKEN, PEER: {"address": address, "connection": "c"}}


def test_the_host_role_is_refused_from_another_machine_even_with_the_token(app: Flask) -> None:
    client = app.test_client()
    assert client.get(f"/host?token={TOKEN}", environ_base=REMOTE).status_code == 403
    report = client.get(f"/host/report?token={TOKEN}", environ_base=REMOTE)
    assert report.status_code == 403 and "Set-Cookie" not in report.headers
    csv = client.get("/host/report.csv", headers={"X-Host-Token": TOKEN}, environ_base=REMOTE)
    assert csv.status_code == 403
    with pytest.raises(ProtocolError) as refused:
        hub_of(app).connect("remote-host", _host_auth("192.168.1.50"))
    assert refused.value.code == "host_remote"
    # The server's own machine, IPv4 or IPv6: the console works.
    local = {"REMOTE_ADDR": "::1"}
    assert client.get(f"/host?token={TOKEN}", environ_base=local).status_code == 200
    hub = hub_of(app)
    assert hub.host.allowed_from("127.0.0.1") and hub.host.allowed_from("127.0.0.2")
    assert not hub.host.allowed_from("10.0.0.2") and not hub.host.allowed_from("")


def test_remote_host_allows_another_machine(make_app: Callable[..., Flask]) -> None:
    app = make_app(REMOTE_HOST=True)
    assert app.test_client().get(f"/host?token={TOKEN}", environ_base=REMOTE).status_code == 200
    assert hub_of(app).host.allowed_from("192.168.1.50")


def test_a_report_opened_with_the_token_drops_it_from_the_address(
    live_server: LiveServer,
) -> None:
    session = requests.Session()
    first = session.get(
        f"{live_server.url}/host/report?token={live_server.token}&lang=en", allow_redirects=False
    )
    assert first.status_code == 303 and "token" not in first.headers["Location"]
    assert "quiz_report" in first.headers["Set-Cookie"]
    page = session.get(live_server.url + first.headers["Location"])
    assert page.status_code == 200 and live_server.token not in page.text


def _serve(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[bytes], int, Path]:
    port = find_free_port()
    log = tmp_path / f"serve-{port}.log"
    command = [str(QUIZ)] if QUIZ.exists() else [sys.executable, "-m", "quiz"]
    env = {**os.environ, "QUIZ_DATA_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    env.pop("DATABASE_URL", None)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*command, "serve", "--host", "127.0.0.1", "--port", str(port), "--quiet-qr", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    return proc, port, log


def test_remote_host_without_https_is_refused(tmp_path: Path) -> None:
    proc, _port, log = _serve(tmp_path, "--remote-host")
    assert proc.wait(timeout=60) != 0
    text = log.read_text()
    assert "--remote-host needs HTTPS" in text and "需要 HTTPS" in text


def test_remote_host_with_a_self_signed_certificate_prints_its_fingerprint(
    tmp_path: Path,
) -> None:
    proc, port, log = _serve(tmp_path, "--remote-host", "--self-signed")
    try:
        deadline = time.monotonic() + 60
        while "fingerprint" not in log.read_text() or not _listening(port):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        printed = re.search(r"fingerprint: ([0-9A-F:]{95})", log.read_text())
        assert printed is not None, log.read_text()
        served = ssl.get_server_certificate(("127.0.0.1", port), timeout=10)
        (tmp_path / "served.pem").write_text(served)
        assert fingerprint(tmp_path / "served.pem") == printed.group(1)
        health = requests.get(f"https://127.0.0.1:{port}/healthz", verify=False, timeout=10)
        assert health.json()["ok"]
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True
