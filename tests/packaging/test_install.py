"""Installs anywhere, offline (issue 19): the wheel carries its pages, static files, bank and
migrations; installed into a fresh venv with no index it serves a working event from an empty
folder, with its data in the data folder; the offline bundle installs with ``--no-index`` too
and has a wheel of every requirement for Linux and Windows x86-64, Python 3.11 to 3.13.

The dependency wheels come from ``.wheelhouse`` (filled by ``make test`` from the index) for the
wheel test, and from the bundle itself for the bundle test: neither install reaches an index.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT, LiveServer, connect_peer, start_server, stop_server

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WHEELHOUSE = ROOT / ".wheelhouse"
CONSTRAINTS = ROOT / "constraints.txt"
SOCKET_IO = "vendor/socket.io-4.8.1.min.js"


def _run(*args: str | Path, timeout: float = 300, **kwargs: object) -> str:
    result = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, timeout=timeout, **kwargs
    )
    assert result.returncode == 0, f"{args} failed:\n{result.stdout[-3000:]}\n{result.stderr}"
    return result.stdout


def _venv(path: Path) -> Path:
    """A fresh venv; returns its bin (Scripts) folder."""
    _run(sys.executable, "-m", "venv", path)
    return path / ("Scripts" if os.name == "nt" else "bin")


@pytest.fixture(scope="module")
def quiz_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from quiz.server.bundle import build_quiz_wheel

    return build_quiz_wheel(tmp_path_factory.mktemp("dist"))


def test_wheel_carries_pages_static_bank_and_migrations(quiz_wheel: Path) -> None:
    names = set(zipfile.ZipFile(quiz_wheel).namelist())

    def packaged(folder: str, package_folder: str) -> set[str]:
        return {
            f"quiz/{package_folder}/{p.relative_to(ROOT / folder).as_posix()}"
            for p in (ROOT / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        }

    for folder, inside in (
        ("templates", "_templates"),
        ("static", "_static"),
        ("question_bank", "_question_bank"),
    ):
        expected = packaged(folder, inside)
        assert expected, folder
        assert expected <= names, sorted(expected - names)
    assert f"quiz/_static/{SOCKET_IO}" in names
    assert "quiz/_static/vendor/socket.io-LICENSE.txt" in names
    assert {"quiz/_question_bank/FACTS.md", "quiz/_question_bank/README.md"} <= names
    migrations = {
        f"quiz/migrations/{p.relative_to(ROOT / 'quiz/migrations').as_posix()}"
        for p in (ROOT / "quiz" / "migrations").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert migrations <= names, sorted(migrations - names)
    assert {"quiz/i18n/zh-CN.json", "quiz/i18n/en.json"} <= names
    assert not [n for n in names if n.split("/")[0] in {"instance", "tests", "bench", "docs"}]
    assert not [n for n in names if n.endswith((".sqlite3", ".pyc"))]


def _check_event(server: LiveServer) -> None:
    """The pages, the socket.io client, a QR code and the bundled bank, as a host sees them."""
    for path in (f"/host?token={server.token}", "/display", "/play", "/j"):
        response = requests.get(server.url + path, timeout=10)
        assert response.status_code == 200, path
        assert "<html" in response.text.lower(), path
    script = requests.get(f"{server.url}/static/{SOCKET_IO}", timeout=10)
    assert script.status_code == 200 and len(script.content) > 10_000
    assert b"socket.io" in script.content[:2000].lower()
    qr = requests.get(f"{server.url}/qr/join.svg", timeout=10)
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in qr.content
    host = connect_peer(server.url, "host", token=server.token)
    try:
        console = host.wait_for(lambda c: bool(c and c.get("bank")), name="console")
    finally:
        host.disconnect()
    assert console["bank"]["questions"] >= 100, console["bank"]
    assert "question bank: imported" in server.output()


def _serve_installed(quiz: Path, tmp_path: Path) -> tuple[LiveServer, Path, Path]:
    """``quiz serve`` of another installation, from an empty folder, data in its own folder."""
    empty = tmp_path / "empty"
    empty.mkdir()
    data = tmp_path / "data"
    logs = tmp_path / "logs"
    logs.mkdir()
    server = start_server(
        logs, database_url="", token_arg=False, data_dir=data, quiz=quiz, cwd=empty
    )
    return server, empty, data


def test_wheel_installs_offline_and_serves_an_event(quiz_wheel: Path, tmp_path: Path) -> None:
    assert WHEELHOUSE.is_dir(), "make test fills .wheelhouse (the dependency wheels)"
    started = time.monotonic()
    bin_dir = _venv(tmp_path / "venv")
    _run(
        bin_dir / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--no-index", "--find-links", WHEELHOUSE, "-c", CONSTRAINTS, quiz_wheel,
    )  # fmt: skip
    installed = _run(
        bin_dir / "python",
        "-c",
        "import quiz, quiz.resources as r; print(quiz.__file__); print(r.static_dir())",
        cwd=tmp_path,
    ).split()
    site = Path(installed[0]).parent.parent
    assert "site-packages" in installed[0] and Path(installed[1]).is_relative_to(site)
    server, empty, data = _serve_installed(bin_dir / "quiz", tmp_path)
    try:
        _check_event(server)
    finally:
        stop_server(server)
    assert server.proc.returncode == 0, server.output()
    assert list(empty.iterdir()) == [], "nothing is written to the current folder"
    assert {"quiz.sqlite3", "host-token"} <= {p.name for p in data.iterdir()}
    assert not (site / "instance").exists()
    assert not list(site.glob("quiz/**/*.sqlite3"))
    print(f"wheel install + serve: {time.monotonic() - started:.1f} s")


def test_offline_bundle_installs_on_linux_and_is_complete_for_windows(tmp_path: Path) -> None:
    """Both targets for the Python running the tests only, to keep ``make test`` short; ``make
    bundle`` builds and checks 3.11, 3.12 and 3.13 with the same code."""
    from quiz.server.bundle import PYTHONS, TARGETS, build, complete

    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    pythons = (python,) if python in PYTHONS else PYTHONS[:1]
    started = time.monotonic()
    folder = build(tmp_path / "out", CONSTRAINTS, pythons=pythons)
    built = time.monotonic() - started
    wheels = folder / "wheels"
    assert complete(wheels, TARGETS.values(), pythons) == {}
    names = {p.name for p in wheels.glob("*.whl")}
    for python in pythons:
        tag = f"cp{python.replace('.', '')}"
        assert any(n.startswith("gevent-") and tag in n and "win_amd64" in n for n in names)
        assert any(n.startswith("gevent-") and tag in n and "manylinux" in n for n in names)
    # Windows-only requirements (behind markers) are there although this is Linux.
    assert any(n.startswith("colorama-") for n in names)
    for name in ("README.txt", "start.sh", "start.bat", "constraints.txt"):
        assert (folder / name).is_file(), name
    readme = (folder / "README.txt").read_text(encoding="utf-8-sig")
    assert "离线" in readme and "offline" in readme
    assert b"\r\n" in (folder / "start.bat").read_bytes()
    assert zipfile.ZipFile(folder.parent / f"{folder.name}.zip").testzip() is None

    # The Linux half: a copy of the folder (as from a USB stick), start.sh with no index.
    copy = tmp_path / "laptop" / folder.name
    shutil.copytree(folder, copy)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "VIRTUAL_ENV"))}
    env |= {"PIP_NO_INDEX": "1", "PYTHON": sys.executable}
    install_started = time.monotonic()
    _run("sh", copy / "start.sh", "--help", env=env, cwd=tmp_path)
    installed = time.monotonic() - install_started
    server, _empty, data = _serve_installed(copy / "venv" / "bin" / "quiz", tmp_path)
    try:
        _check_event(server)
    finally:
        stop_server(server)
    assert (data / "host-token").is_file()
    print(f"bundle built in {built:.0f} s, Linux install from it in {installed:.0f} s")
