"""The click command tree behind the ``quiz`` console script.

Each feature package owns its own command group; this module only assembles them.
"""

from __future__ import annotations

import click

from quiz import __version__
from quiz.clihelp import help_option
from quiz.datadir import data_dir_option

#: One bilingual line per command in ``quiz --help`` (each command's own help stays in full).
SHORT_HELP = {
    "serve": "启动现场服务器 / run the live quiz server",
    "bank": "题库：检查、统计、导入、模板 / question bank: check, stats, import, template",
    "export": "导出比赛记录 / export events, matches, buzzes and judgements",
    "backup": "备份数据库 / copy the live database (safe while serving)",
    "report": "生成活动报告 / write the organiser's report of an event",
    "receipts": "导出抢答回执 / export the buzz receipts of a match",
}


@click.group(add_help_option=False, context_settings={"help_option_names": ["-h", "--help"]})
@help_option
@click.version_option(
    __version__, prog_name="quiz", help="显示版本并退出 / show the version and exit."
)
@data_dir_option
def cli() -> None:
    """现场抢答系统（主持人控制台、大屏、选手手机、观众答题） / live buzzer quiz for outreach
    events (host console, LED display, phone buzzers, audience play-along)."""


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
for _name, _command in cli.commands.items():
    _command.short_help = SHORT_HELP.get(_name, _command.short_help)
