"""The JSON view of a tournament that the LED wall and the host console render.

One pure function of the domain object (``quiz.tournament.Tournament``) and the matches played
for its pairings, so a page test can render exactly what the server sends. Names are sent as
typed (cleaned); pages insert them as text. The key ``seed`` is avoided on purpose: the
redaction of non-host states strips it wherever it occurs (``quiz.live.redact``), so seeding
positions are ``seeding``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from quiz.tournament import Feed, Format, MatchResult, Source, Tournament

VIEW_VERSION = 1


def _entrant(t: Tournament, seeding: Mapping[str, int], entrant_id: str | None) -> Any:
    if entrant_id is None:
        return None
    return {"id": entrant_id, "name": t.name(entrant_id), "seeding": seeding[entrant_id]}


def _source(source: Source | None) -> dict[str, str] | None:
    """Where a side not known yet comes from (``{"winner": "R1M1"}``); None for a fixed
    entrant or a bye."""
    if source is None or source.feed is Feed.ENTRANT:
        return None
    return source.to_dict()


def result_dict(result: MatchResult) -> dict[str, Any]:
    return {
        "winner": result.winner.value,
        "games": [result.red_games, result.blue_games],
        "violations": [result.red_violations, result.blue_violations],
        "forfeit": result.forfeit,
    }


def tournament_view(
    t: Tournament,
    *,
    tournament_id: int,
    rev: int,
    match_ids: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """The view; ``match_ids`` maps a pairing to the newest match played (or being played)
    for it."""
    seeding = {e.id: i for i, e in enumerate(t.entrants, start=1)}
    results = t.results
    links = match_ids or {}
    matches = []
    for slot in t.matches:
        red, blue = t.pairing(slot.id)
        played = results.get(slot.id)
        matches.append(
            {
                "id": slot.id,
                "round": slot.round,
                "status": t.status(slot.id).value,
                "red": _entrant(t, seeding, red),
                "blue": _entrant(t, seeding, blue),
                "red_from": _source(slot.red) if red is None else None,
                "blue_from": _source(slot.blue) if blue is None else None,
                "result": result_dict(played.result) if played is not None else None,
                "match_id": links.get(slot.id),
            }
        )
    champion = t.champion()
    knockout = t.format is Format.SINGLE_ELIMINATION
    history = t.history
    last = history[-1] if history else None
    return {
        "v": VIEW_VERSION,
        "id": tournament_id,
        "rev": rev,
        "format": t.format.value,
        "third_place": t.third_place,
        "entrants": [_entrant(t, seeding, e.id) for e in t.entrants],
        "rounds": max((s.round for s in t.matches), default=0),
        "matches": matches,
        "next": t.next_match(),
        "live": None,
        "finished": t.finished,
        "champion": _entrant(t, seeding, champion),
        "standings": None
        if knockout
        else [
            {
                **{k: v for k, v in row.to_dict().items() if k != "seed"},
                "seeding": row.seed,
                "name": t.name(row.entrant),
            }
            for row in t.standings()
        ],
        "placements": [
            {"entrant": p.entrant, "name": t.name(p.entrant), "place": p.place}
            for p in t.placements()
        ]
        if knockout
        else None,
        "undo": {
            "depth": len(history),
            "last": None
            if last is None
            else {"action": last.kind.value, "match": last.match_id, "reset": list(last.reset)},
        },
    }


__all__ = ["VIEW_VERSION", "result_dict", "tournament_view"]
