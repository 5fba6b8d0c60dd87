"""Socket.IO room names and the one namespace: the only place they are spelled out."""

from __future__ import annotations

#: The Socket.IO namespace every page connects to.
NAMESPACE = "/"


def room_host(event_id: int) -> str:
    return f"host:{event_id}"


def room_display(event_id: int) -> str:
    return f"display:{event_id}"


def room_audience(event_id: int) -> str:
    return f"audience:{event_id}"


def room_players(match_id: int) -> str:
    return f"players:{match_id}"


def room_side(match_id: int, side: str) -> str:
    return f"side:{match_id}:{side}"
