"""The organiser's YAML files besides the question bank: the satisfaction survey and the LED
playlist. Where each is looked for, and reading one with the position of every value so a
problem is reported as ``file:line:column: message``, like the bank's
(``quiz.bank.yamlio``: no tags, anchors or aliases, 1 MiB at most, UTF-8).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from quiz.audience.survey import Survey, parse_survey
from quiz.bank.yamlio import read_bank_file
from quiz.datadir import data_dir
from quiz.resources import bank_dir

#: The survey file in the data folder, used when ``quiz serve --survey`` names none.
SURVEY_NAME = "survey.yaml"
#: The playlist file in the data folder, used when ``quiz serve --playlist`` names none.
PLAYLIST_NAME = "playlist.yaml"

T = TypeVar("T")
#: A parser of plain data: the value, or None and ``[(path in the data, message)]``.
Parser = Callable[[Any], tuple[T | None, list[Any]]]


def default_survey() -> Path:
    return bank_dir() / "survey" / SURVEY_NAME


def survey_path(given: Path | None = None) -> Path:
    """``given``, else ``survey.yaml`` in the data folder if there is one, else the default."""
    if given is not None:
        return given
    mine = data_dir(create=False) / SURVEY_NAME
    return mine if mine.is_file() else default_survey()


def playlist_path(given: Path | None = None) -> Path | None:
    """``given``, else ``playlist.yaml`` in the data folder if there is one, else None."""
    if given is not None:
        return given
    mine = data_dir(create=False) / PLAYLIST_NAME
    return mine if mine.is_file() else None


def read_checked(path: Path, parse: Parser[T]) -> tuple[T | None, list[str]]:
    """Read ``path`` and parse its data; problems as ``file:line:column: message``. The
    parser's problems have ``.loc`` (a path in the data) and ``.message``."""
    document, problems = read_bank_file(path)
    shown = [str(p) for p in problems if p.is_error]
    if document is None or shown:
        return None, shown or [f"{path}:1:1: cannot read the file"]
    value, found = parse(document.data)
    if value is None:
        return None, [f"{document.spot(p.loc)}: {p.message}" for p in found]
    return value, []


def load_survey(given: Path | None = None) -> tuple[Survey | None, list[str]]:
    return read_checked(survey_path(given), parse_survey)


__all__ = ["load_survey", "playlist_path", "read_checked", "survey_path"]
