"""The click command tree behind the ``quiz`` console script.

Each feature package owns its own command group; this module only assembles them.
"""

from __future__ import annotations

import click

from quiz import __version__
from quiz.datadir import data_dir_option


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="quiz")
@data_dir_option
def cli() -> None:
    """Live buzzer quiz for outreach events (host console, LED display, phone buzzers)."""


def _register() -> None:
    # Imported here so that `quiz --help` stays fast and each group stays in its own package.
    from quiz.bank.cli import bank

    cli.add_command(bank)

    from quiz.server.cli import serve

    cli.add_command(serve)

    from quiz.live.receipts import receipts_command

    cli.add_command(receipts_command)

    from quiz.ops.cli import backup, export

    cli.add_command(export)
    cli.add_command(backup)

    from quiz.report.cli import report

    cli.add_command(report)


_register()
