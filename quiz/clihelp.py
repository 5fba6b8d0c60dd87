"""The bilingual help line shared by the ``quiz`` commands (click's own is English only)."""

from __future__ import annotations

from typing import Any

import click

#: ``-h/--help`` in both languages.
HELP = "显示帮助并退出 / show this message and exit."


def help_option(command: Any) -> Any:
    """``-h/--help`` with :data:`HELP`; the command is declared with ``add_help_option=False``."""
    return click.help_option("-h", "--help", help=HELP)(command)
