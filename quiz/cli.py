"""The ``quiz`` console script: the single entry point for every command.

``quiz serve`` must monkey-patch the standard library for gevent *before* Flask, SQLAlchemy or
anything that touches sockets or threads is imported, so :func:`main` looks at the arguments
first and patches, and only then imports the command groups.
"""

from __future__ import annotations

import sys


def _wants_gevent(argv: list[str]) -> bool:
    """True when the command line is ``serve`` with the (default) gevent async mode."""
    if "serve" not in argv:
        return False
    for i, arg in enumerate(argv):
        if arg == "--async" and i + 1 < len(argv):
            return argv[i + 1] == "gevent"
        if arg.startswith("--async="):
            return arg.split("=", 1)[1] == "gevent"
    return True


def _wants_eventlet(argv: list[str]) -> bool:
    if "serve" not in argv:
        return False
    for i, arg in enumerate(argv):
        if arg == "--async" and i + 1 < len(argv):
            return argv[i + 1] == "eventlet"
        if arg.startswith("--async="):
            return arg.split("=", 1)[1] == "eventlet"
    return False


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if _wants_gevent(args):
        from gevent import monkey

        monkey.patch_all()
    elif _wants_eventlet(args):
        import eventlet

        eventlet.monkey_patch()
    from quiz.commands import cli

    cli.main(args=args, prog_name="quiz")


if __name__ == "__main__":
    main()
