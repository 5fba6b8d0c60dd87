"""``quiz receipts MATCH_ID``: export a match's buzz receipts (quiz/live/fairness.py).

SQLAlchemy and the models are imported inside the command, so ``quiz --help`` stays fast.
"""

from __future__ import annotations

import click


@click.command("receipts")
@click.argument("match_id", type=click.IntRange(min=1))
@click.option("--database-url", default=None, help="SQLAlchemy URL (default: instance/ SQLite).")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None)
def receipts_command(match_id: int, database_url: str | None, fmt: str, output: str | None) -> None:
    """Export the buzz receipts of a match (every buzz: press and arrival times, offset, RTT,
    clamp, commit window, margin, rule) as CSV or JSON lines."""
    from quiz.db import default_database_url, make_engine, make_session_factory
    from quiz.live.fairness import export, load_receipts

    engine = make_engine(database_url or default_database_url())
    try:
        with make_session_factory(engine)() as session:
            found = load_receipts(session, match_id)
    finally:
        engine.dispose()
    if not found:
        raise click.ClickException(f"match {match_id} has no buzz receipts")
    text = export(found, fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        with open(output, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        click.echo(f"{len(found)} receipts written to {output}", err=True)
