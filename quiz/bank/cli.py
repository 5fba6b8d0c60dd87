"""``quiz bank ...`` commands."""

from __future__ import annotations

import click


@click.group()
def bank() -> None:
    """Question bank: check, stats, import, template, convert."""
