"""Connected sockets: who they are, which rooms they are in, and cutting one off.

The registry is the only writer of :class:`Client` records and of room membership; room names
come from :mod:`quiz.live.rooms`. A socket's rooms follow the current event and match: after an
event switch or a match start :meth:`Connections.regroup` moves every socket at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask_socketio import SocketIO

from quiz.live import rooms
from quiz.live.concurrency import Lock
from quiz.live.protocol import VERSION, Command
from quiz.live.rooms import NAMESPACE

if TYPE_CHECKING:
    from quiz.live.matches import MatchRegistry


@dataclass
class Client:
    """One connected socket, as authenticated at connect time."""

    sid: str
    role: str  # host, display, player (a seated phone) or audience
    device: str | None
    lang: str
    seat: str | None = None
    match_id: int | None = None
    side: str | None = None
    # Where it connected from, as quiz/live/addresses.py keeps it ("" for an exempt address).
    address: str = ""
    # A contestant's name (its seat's side), shown on its phone before its match starts.
    name: str = ""
    # A phone back on the seat of its match after that match finished (and left memory): the
    # result its finished screen shows ({"winner", "games", "names"}); it acts no more.
    result: dict[str, Any] | None = None
    # The rooms this process put the socket in. Kept here because the Socket.IO manager only
    # knows the rooms of sockets connected to this process (quiz/live/cluster.py).
    rooms: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        """Whose command ids these are: a device survives reconnects, a sid does not."""
        return f"{self.role}:{self.device or self.sid}"


class Connections:
    """The sockets connected to this hub, by sid. ``lock`` is the hub's lock."""

    def __init__(self, socketio: SocketIO, lock: Lock, matches: MatchRegistry) -> None:
        self.socketio = socketio
        self.lock = lock
        self.matches = matches
        self.clients: dict[str, Client] = {}

    def __iter__(self) -> Iterator[Client]:
        return iter(list(self.clients.values()))

    def get(self, sid: str) -> Client | None:
        return self.clients.get(sid)

    def add(self, client: Client) -> None:
        with self.lock:
            self.clients[client.sid] = client
            self.join(client)

    def remove(self, sid: str) -> Client | None:
        with self.lock:
            return self.clients.pop(sid, None)

    def forget(self) -> None:
        """Drop every record (a process that stops deciding, quiz/live/cluster.py)."""
        self.clients.clear()

    def online_seats(self) -> set[tuple[int | None, str | None]]:
        """``(match_id, side)`` of every connected contestant phone."""
        return {(c.match_id, c.side) for c in self if c.role == "player"}

    def rooms_of(self, client: Client) -> list[str]:
        event_id = self.matches.event["id"]
        if client.role == "host":
            return [rooms.room_host(event_id)]
        if client.role == "display":
            return [rooms.room_display(event_id)]
        if client.role == "audience":
            return [rooms.room_audience(event_id)]
        assert client.match_id is not None and client.side is not None
        out = [rooms.room_players(client.match_id), rooms.room_side(client.match_id, client.side)]
        # A contestant whose match is not on yet (or any more) stays out of the audience room:
        # its phone shows its own seat waiting for the start (or its own match's end), never
        # another match's result (Broadcaster.send_to). One whose match was aborted watches
        # the match that is on, as audience.
        if client.match_id in self.matches.aborted:
            out.append(rooms.room_audience(event_id))
        return out

    def join(self, client: Client) -> None:
        """Put the socket in exactly the rooms it belongs to now (works for sockets on other
        processes too: the message queue forwards enter/leave)."""
        server = self.socketio.server
        wanted = self.rooms_of(client)
        for room in client.rooms:
            if room not in wanted:
                server.leave_room(client.sid, room, namespace=NAMESPACE)
        for room in wanted:
            if room not in client.rooms:
                server.enter_room(client.sid, room, namespace=NAMESPACE)
        client.rooms = wanted

    def regroup(self) -> None:
        """Move every socket into the rooms it belongs to now (after an event switch or a match
        start); rare admin operations, so a loop over clients is fine here."""
        with self.lock:
            for client in self:
                self.join(client)

    def cut_off(self, which: Callable[[Client], bool], code: str, message: str) -> int:
        """Tell the matching sockets why, then disconnect them; returns how many."""
        gone = [c for c in self if which(c)]
        notice: dict[str, Any] = {"v": VERSION, "code": code, "message": message}
        for client in gone:
            self.socketio.emit("notice", notice, to=client.sid, namespace=NAMESPACE)
            self.socketio.server.disconnect(client.sid, namespace=NAMESPACE)
            self.clients.pop(client.sid, None)
        return len(gone)


@dataclass(frozen=True)
class Call:
    """One validated command from a connected client, as a route's handler receives it."""

    client: Client
    cmd: Command
    received_ms: int
