"""The per-user data folder: the database, the host token, exports and backups.

Chosen once per process, in this order: ``--data-dir`` (which sets ``QUIZ_DATA_DIR`` for the
whole process, so every command and the migrations agree), the ``QUIZ_DATA_DIR`` environment
variable, else the platform's user data folder (``platformdirs``: ``~/.local/share/quiz`` on
Linux, ``%LOCALAPPDATA%\\quiz`` on Windows, ``~/Library/Application Support/quiz`` on macOS).
Never ``site-packages`` and never the current folder unless asked for. ``DATABASE_URL`` still
overrides the database alone (:func:`quiz.db.default_database_url`).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

ENV_VAR = "QUIZ_DATA_DIR"
APP_NAME = "quiz"


def data_dir(create: bool = True) -> Path:
    """The data folder (absolute), created when ``create``."""
    given = os.environ.get(ENV_VAR)
    if given:
        folder = Path(given).expanduser().resolve()
    else:
        from platformdirs import user_data_dir

        folder = Path(user_data_dir(APP_NAME, appauthor=False))
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def set_data_dir(folder: Path | str) -> Path:
    """Use ``folder`` for the rest of this process (and its children)."""
    path = Path(folder).expanduser().resolve()
    os.environ[ENV_VAR] = str(path)
    return path


def database_path() -> Path:
    return data_dir() / "quiz.sqlite3"


def token_path() -> Path:
    return data_dir() / "host-token"


def dated_path(kind: str, suffix: str) -> Path:
    """A fresh file name under ``exports/`` or ``backups/``, e.g. ``backups/quiz-20260101-120000
    .sqlite3``; the folder is created."""
    folder = data_dir() / kind
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return folder / f"quiz-{stamp}{suffix}"


def _set_from_option(_ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        set_data_dir(value)


def data_dir_option(command: Any) -> Any:
    """``--data-dir DIR`` for every command that reads or writes the data folder."""
    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        expose_value=False,
        is_eager=True,
        callback=_set_from_option,
        help=f"数据文件夹 / data folder: database, host token, exports, backups "
        f"(default: ${ENV_VAR} or the user data folder).",
    )(command)
