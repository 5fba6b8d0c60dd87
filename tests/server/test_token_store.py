"""The host token's store and strength check (quiz/server/token.py), without a server."""

from __future__ import annotations

import os
import secrets
import stat
import uuid
from pathlib import Path

import pytest

from quiz.app import create_app
from quiz.config import CONFIGS
from quiz.server.token import MIN_BITS, TokenStore, WeakToken, check_token, token_bits


@pytest.mark.parametrize(
    "token",
    [secrets.token_urlsafe(24), secrets.token_urlsafe(16), uuid.uuid4().hex, secrets.token_hex(16)],
)
def test_random_tokens_of_128_bits_pass(token: str) -> None:
    assert token_bits(token) >= MIN_BITS
    assert check_token(token) == token


@pytest.mark.parametrize(
    "token",
    ["", "secret", "test-host-token", "a" * 64, "ab" * 40, secrets.token_hex(15), "x y" * 30],
)
def test_short_simple_or_spaced_tokens_are_refused(token: str) -> None:
    with pytest.raises(WeakToken) as caught:
        check_token(token)
    message = str(caught.value)
    assert "主持人口令" in message and "host token" in message


def test_store_keeps_the_token_owner_only(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "sub" / "host-token")
    first, how = store.resolve()
    assert how == "new" and len(first) == 32
    if os.name == "posix":
        assert stat.S_IMODE(store.path.stat().st_mode) == 0o600  # type: ignore[union-attr]
    assert store.resolve() == (first, "kept")
    renewed, how = store.resolve(renew=True)
    assert how == "new" and renewed != first and store.load() == renewed
    given = secrets.token_hex(16)
    assert store.resolve(given) == (given, "given") and store.load() == given
    with pytest.raises(WeakToken):
        store.resolve("short")
    assert store.load() == given  # a refused token replaces nothing
    assert [p.name for p in store.path.parent.iterdir()] == ["host-token"]  # type: ignore[union-attr]


def test_unreadable_or_empty_file_gives_a_fresh_token(tmp_path: Path) -> None:
    path = tmp_path / "host-token"
    path.write_bytes(b"\n")
    token, how = TokenStore(path).resolve()
    assert how == "new" and path.read_text().strip() == token


def test_app_exposes_the_store_for_the_rotate_command(tmp_path: Path) -> None:
    path = tmp_path / "host-token"
    app = create_app(
        CONFIGS["testing"](HOST_TOKEN=None, HOST_TOKEN_FILE=str(path), CREATE_TABLES=True)
    )
    store = app.extensions["quiz.token_store"]
    assert app.config["HOST_TOKEN"] == path.read_text().strip()
    store.save("rotated-" + secrets.token_urlsafe(24))
    assert path.read_text().startswith("rotated-")
    memory_only = create_app(CONFIGS["testing"](CREATE_TABLES=True)).extensions["quiz.token_store"]
    memory_only.save("anything")  # no file: nothing written, no error
    assert memory_only.path is None
