"""One report across venues (``quiz report --merge A.zip B.zip …``).

Each event archive (``quiz.ops.archive``) is loaded into a private in-memory database and
reported on by the same :func:`quiz.report.collect.collect` as a single event, so a figure
means the same thing in both reports; :func:`combine` then adds the venues up. Duplicates
count once: archives with the same content hash are the same archive, and two exports of the
same event of the same database (same ``source``) keep only the newest export. The result does
not depend on the order the archives are given in (venues are sorted, sums commute).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from quiz.ops.archive import Archive, load, read_archive
from quiz.report.awareness import MessageRate, add_up
from quiz.report.collect import category_order, collect
from quiz.report.data import CategoryRate, Rate, ReportData
from quiz.report.reach import Reach


@dataclass(frozen=True)
class Venue:
    """One venue's event: its name, where the archive came from, and its full report."""

    name: str
    source: str
    content_hash: str
    data: ReportData


@dataclass(frozen=True)
class Merged:
    """The report across venues: the venues in a fixed order and their totals."""

    venues: tuple[Venue, ...]
    generated: datetime
    categories: tuple[CategoryRate, ...]
    reach: Reach | None
    awareness: tuple[MessageRate, ...]
    contestant_rate: Rate
    audience_rate: Rate | None
    #: Venues whose archive was given more than once (counted once).
    duplicates: tuple[str, ...] = ()
    #: Venues of which an older export of the same event was left out for a newer one.
    replaced: tuple[str, ...] = ()


def pick(archives: Sequence[Archive]) -> tuple[list[Archive], tuple[str, ...], tuple[str, ...]]:
    """The archives to count, and the venues that had duplicates or older exports."""
    by_hash: dict[str, Archive] = {}
    duplicates: set[str] = set()
    for archive in archives:
        if archive.content_hash in by_hash:
            duplicates.add(archive.venue)
        else:
            by_hash[archive.content_hash] = archive
    groups: dict[str, list[Archive]] = {}
    for archive in by_hash.values():
        groups.setdefault(archive.source, []).append(archive)
    kept: list[Archive] = []
    replaced: set[str] = set()
    for group in groups.values():
        newest = max(group, key=_age)
        kept.append(newest)
        replaced.update(a.venue for a in group if a is not newest)
    return kept, tuple(sorted(duplicates)), tuple(sorted(replaced))


def _age(archive: Archive) -> tuple[str, str]:
    """Newer exports of one event sort last (ties broken by hash, so the choice does not
    depend on the order the files were given in)."""
    return str(archive.manifest.get("exported")), archive.content_hash


def venue_of(archive: Archive) -> Venue:
    """The archive's event reported on as a single event."""
    sessions = load([archive])
    with sessions() as session:
        data = collect(session, archive.event_id)
    sessions.kw["bind"].dispose()
    return Venue(archive.venue, archive.source, archive.content_hash, data)


def _categories(venues: Sequence[Venue]) -> tuple[CategoryRate, ...]:
    shown: dict[str, int] = {}
    contestants: dict[str, Rate] = {}
    audience: dict[str, Rate | None] = {}
    for venue in venues:
        for c in venue.data.categories:
            shown[c.category] = shown.get(c.category, 0) + c.shown
            contestants[c.category] = contestants.get(c.category, Rate()) + c.contestants
            before = audience.get(c.category)
            if c.audience is not None or before is not None:
                audience[c.category] = (before or Rate()) + (c.audience or Rate())
            else:
                audience.setdefault(c.category, None)
    return tuple(
        CategoryRate(name, shown[name], contestants[name], audience[name])
        for name in sorted(shown, key=category_order)
    )


def combine(
    venues: Iterable[Venue],
    *,
    duplicates: Sequence[str] = (),
    replaced: Sequence[str] = (),
    now: datetime | None = None,
) -> Merged:
    """The venues added up (see the module docstring)."""
    ordered = tuple(sorted(venues, key=lambda v: (v.name, v.source, v.content_hash)))
    reach: Reach | None = None
    for venue in ordered:
        if venue.data.reach is not None:
            # Always a sum (no single venue's time line), however many venues there are.
            reach = (reach or Reach(0, 0, None, None, None)) + venue.data.reach
    contestant_rate = Rate()
    audience_rate: Rate | None = None
    for venue in ordered:
        contestant_rate += venue.data.contestant_rate
        if venue.data.audience is not None:
            audience_rate = (audience_rate or Rate()) + venue.data.audience.answers
    return Merged(
        venues=ordered,
        generated=now or datetime.now(UTC),
        categories=_categories(ordered),
        reach=reach,
        awareness=add_up(v.data.awareness for v in ordered),
        contestant_rate=contestant_rate,
        audience_rate=audience_rate,
        duplicates=tuple(sorted(set(duplicates))),
        replaced=tuple(sorted(set(replaced))),
    )


def merge_archives(paths: Sequence[Path], now: datetime | None = None) -> Merged:
    """The report across the venues of these archive files."""
    archives, duplicates, replaced = pick([read_archive(p) for p in paths])
    return combine(
        (venue_of(a) for a in archives), duplicates=duplicates, replaced=replaced, now=now
    )
