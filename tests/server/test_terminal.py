"""What the terminal shows: one clear bilingual line per problem, never a traceback for
something a user or a phone can cause, and help text in zh and en for every option."""

from __future__ import annotations

import re
import socket
import subprocess
from pathlib import Path

import click
import pytest

from quiz.commands import cli
from quiz.server.cli import _closed_socket_as_epipe
from tests.conftest import QUIZ, find_free_port

HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.e2e
def test_a_port_in_use_is_one_line_and_exit_code_1(tmp_path: Path) -> None:
    port = find_free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        result = subprocess.run(
            [str(QUIZ), "serve", "--host", "127.0.0.1", "--port", str(port), "--quiet-qr"],
            capture_output=True,
            text=True,
            timeout=60,
            env={"QUIZ_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert "OSError" not in result.stderr + result.stdout
    assert result.stderr.strip() == (
        f"端口 {port} 已被占用 / port {port} is in use: try PORT={port + 1} "
        f"(quiz serve --port {port + 1})"
    )


@pytest.mark.parametrize("path", [(), ("serve",)])
def test_help_is_in_zh_and_en_for_every_option(path: tuple[str, ...]) -> None:
    command: click.Command = cli
    ctx = click.Context(cli, info_name="quiz")
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
        ctx = click.Context(command, info_name=name, parent=ctx)
    assert command.help and HAN.search(command.help) and re.search(r"[a-z]{4}", command.help)
    for param in command.get_params(ctx):
        if not isinstance(param, click.Option):
            continue
        text = param.help or ""
        assert HAN.search(text) and " / " in text, f"{param.opts}: {text!r}"
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            short = sub.get_short_help_str(limit=200)
            assert HAN.search(short) and " / " in short, f"{name}: {short!r}"


def test_a_websocket_closed_under_the_server_is_a_quiet_epipe() -> None:
    """engine.io raises a bare OSError() on a closed WebSocket; gevent's handler reads
    ``args[0]`` of it. As EPIPE it is ignored instead of an IndexError traceback."""

    def closed(_environ: object, _start: object) -> None:
        raise OSError()

    def other(_environ: object, _start: object) -> None:
        raise OSError(5, "I/O error")

    with pytest.raises(OSError) as caught:
        _closed_socket_as_epipe(closed)({}, None)
    assert caught.value.args[0] == 32  # errno.EPIPE, which gevent ignores
    with pytest.raises(OSError) as caught:
        _closed_socket_as_epipe(other)({}, None)
    assert caught.value.args[0] == 5  # anything else is left as it was
