"""What a client can send that no handler is for: unreadable payloads and unknown events.

The packet codec is python-socketio's, except for what it cannot decode (and the binary
check on every outgoing packet, which a JSON-only protocol does not need). A packet whose JSON
is malformed or nested thousands of levels deep (possible within the 64 KiB message limit)
would make the stock decoder raise: the message is dropped with a traceback in the log and
the sender waits for an ack that never comes. Here such a payload decodes to the event
:data:`UNREADABLE` instead, answered with an ``invalid`` error, so the sender learns what
was wrong and nothing else is touched.

Only Socket.IO packets use this codec; engine.io keeps its own (it tries ``loads`` on every
message and relies on the ``ValueError``).

Unknown event names get an ``unknown_event`` error ack from a catch-all registered on the
python-socketio server itself: Flask-SocketIO's ``on("*")`` wrapper takes the first argument
for the socket id, so a client naming its event ``"*"`` would make it look up a payload as
a socket (and raise on an unhashable one).
"""

from __future__ import annotations

from typing import Any

from engineio import json as _json
from socketio import packet

from quiz.live.protocol import error_ack

#: The event name an unreadable payload becomes (never a real event: clients cannot send
#: names starting with a NUL).
UNREADABLE = "\x00unreadable"
dumps = _json.dumps


def loads(text: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return _json.loads(text, *args, **kwargs)
    except RecursionError:
        return [UNREADABLE, "the payload is nested too deeply"]
    except ValueError as exc:
        return [UNREADABLE, f"the payload is not JSON: {str(exc)[:80]}"]


class _Codec:
    dumps = staticmethod(dumps)
    loads = staticmethod(loads)


class WirePacket(packet.Packet):
    json = _Codec

    @classmethod
    def data_is_binary(cls, data: Any) -> bool:
        """Always False: the protocol is JSON only (docs/protocol.md), so there are no binary
        attachments to look for. The stock check walks every list and dict of the payload
        with a ``reduce`` over a list per level: on a full match state it cost more than
        encoding the JSON (about a third of the server's CPU in the fairness benchmark). A
        ``bytes`` value now fails loudly in the JSON encoder instead of travelling as an
        attachment no page would read."""
        return False


def unknown_event(*args: Any) -> dict[str, Any]:
    """Any event without a handler: ``(event, sid, *data)``, or ``(sid, *data)`` for an event
    literally named ``*``. Only clients that asked for an ack see the answer."""
    if args and args[0] == UNREADABLE and len(args) > 2:
        return error_ack("invalid", str(args[2])[:200])
    return error_ack("unknown_event", "unknown event: send command or sync")


def install(server: Any) -> None:
    """Make ``server`` (a python-socketio server) decode with this codec and answer unknown
    events."""
    server.packet_class = WirePacket
    server.on("*", unknown_event, namespace="/")


__all__ = ["UNREADABLE", "WirePacket", "install", "unknown_event"]
