"""The LED playlist between matches in the live server: the host starts and stops it, the LED
loops its slides while no match is on the wall (docs/playlist.md).

:class:`PlaylistDesk` owns ``playlist_start`` and ``playlist_stop`` (host, routed by
``quiz.live.routes.ROUTES``) and sends the ``playlist`` message to the LED and the host. The
file (``--playlist``, else ``playlist.yaml`` in the data folder) is read at
``playlist_start``, so the organiser may change it between starts; its problems are refused
with ``file:line:column``. Images and QR codes are served by ``quiz.live.playlist_views`` from
the playlist in force: nothing else of the organiser's folder, nothing remote.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from quiz.live import rooms
from quiz.live.protocol import NoArgs, ProtocolError, _Strict
from quiz.organiser_files import playlist_path
from quiz.playlist import Playlist, load_playlist

EVENT_PLAYLIST = "playlist"


class PlaylistArgs(_Strict):
    """``insert``: the current leaderboard and/or draw, as slides after the file's."""

    insert: list[Literal["leaderboard", "draw"]] = Field(default_factory=list, max_length=2)
    seconds: int = Field(default=10, ge=3, le=600)


class PlaylistDesk:
    """The playlist in force and whether it runs (see the module docstring)."""

    def __init__(
        self,
        *,
        socketio: Any,
        clock: Callable[[], int],
        event_id: Callable[[], int],
        source: Path | None = None,
    ) -> None:
        self.socketio = socketio
        self.clock = clock
        self._event_id = event_id
        self.source = source
        self.playlist: Playlist | None = None
        self.running = False
        self.started_at: int | None = None
        self.inserted: tuple[str, ...] = ()
        self.insert_seconds = 10
        self.rev = 0  # changes with every start, so image and QR links are never stale

    def view(self) -> dict[str, Any]:
        slides: list[dict[str, Any]] = []
        playlist = self.playlist
        for i, s in enumerate(playlist.slides if playlist else ()):
            src = None
            if s.image is not None:
                src = f"/playlist/image/{s.image}?r={self.rev}"
            elif s.qr is not None:
                src = f"/playlist/qr/{i}.svg?r={self.rev}"
            slides.append(
                {
                    "kind": s.show or s.kind,
                    "ms": s.seconds * 1000,
                    "title": s.title,
                    "text": s.text,
                    "src": src,
                }
            )
        for show in self.inserted:
            slides.append(
                {"kind": show, "ms": self.insert_seconds * 1000, "title": None, "text": None}
            )
        return {
            "v": 1,
            "running": self.running,
            "started_at": self.started_at,
            "slides": slides if self.running else [],
        }

    def send(self, to: str | None = None) -> None:
        payload = self.view()
        event_id = self._event_id()
        targets = [to] if to else [rooms.room_display(event_id), rooms.room_host(event_id)]
        for target in targets:
            self.socketio.emit(EVENT_PLAYLIST, payload, to=target, namespace=rooms.NAMESPACE)

    def connected(self, client: Any) -> None:
        if client.role in ("display", "host"):
            self.send(client.sid)

    def playlist_start(self, args: PlaylistArgs) -> dict[str, Any]:
        """Read the playlist file and loop it on the LED whenever no match is on it."""
        path = playlist_path(self.source)
        playlist = None
        if path is not None:
            playlist, problems = load_playlist(path)
            if playlist is None:
                raise ProtocolError("invalid", "; ".join(problems[:5])[:600])
        elif not args.insert:
            raise ProtocolError("not_found", "no playlist file: see docs/playlist.md")
        self.playlist = playlist
        self.inserted = tuple(dict.fromkeys(args.insert))
        self.insert_seconds = args.seconds
        self.running, self.started_at = True, self.clock()
        self.rev += 1
        self.send()
        return {"slides": len(self.view()["slides"])}

    def playlist_stop(self, args: NoArgs) -> dict[str, Any]:
        self.running = False
        self.send()
        return {}


__all__ = ["EVENT_PLAYLIST", "PlaylistArgs", "PlaylistDesk"]
