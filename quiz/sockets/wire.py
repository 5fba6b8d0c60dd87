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

A packet the codec cannot parse at all (``4x``), or an event packet without an event (``42``,
a bare ``4``), used to raise inside python-socketio and log a 17-line traceback per packet: any
phone could fill the server's output. Such a packet becomes :data:`UNREADABLE` too, and is
logged in one line, at most once per :data:`LOG_EVERY_S` per kind (:class:`LogThrottle`).

Unknown event names get an ``unknown_event`` error ack from a catch-all registered on the
python-socketio server itself: Flask-SocketIO's ``on("*")`` wrapper takes the first argument
for the socket id, so a client naming its event ``"*"`` would make it look up a payload as
a socket (and raise on an unhashable one).
"""

from __future__ import annotations

import logging
from typing import Any

from engineio import json as _json
from socketio import packet

from quiz.live.protocol import error_ack
from quiz.server.limits import LogThrottle

log = logging.getLogger(__name__)
#: A malformed packet is logged in one line, once per this many seconds (with a count).
LOG_EVERY_S = 10.0
_throttle = LogThrottle(log, every_s=LOG_EVERY_S)

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

    def __init__(self, *args: Any, encoded_packet: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, encoded_packet=encoded_packet, **kwargs)
        if encoded_packet is not None and not encoded_packet:
            self._unreadable("an empty packet")  # the stock class leaves it an event of None

    def decode(self, encoded_packet: Any) -> int:
        """python-socketio's decoder, except that a packet it cannot make sense of becomes
        an :data:`UNREADABLE` event instead of an exception in the message handler."""
        try:
            count: int = super().decode(encoded_packet)
        except (ValueError, TypeError, IndexError, KeyError, AttributeError) as exc:
            return self._unreadable(f"malformed packet ({type(exc).__name__})")
        if self.packet_type in (packet.EVENT, packet.BINARY_EVENT) and (
            not isinstance(self.data, list) or not self.data or not isinstance(self.data[0], str)
        ):
            return self._unreadable("an event packet without an event name")
        return count

    def _unreadable(self, why: str) -> int:
        self.packet_type = packet.EVENT
        self.namespace = "/"
        self.id = None
        self.data = [UNREADABLE, why]
        return 0

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
        why = str(args[2])[:200]
        _throttle.warning(why.split(":")[0], "unreadable packet from %s: %s", args[1], why)
        return error_ack("invalid", why)
    return error_ack("unknown_event", "unknown event: send command or sync")


def install(server: Any) -> None:
    """Make ``server`` (a python-socketio server) decode with this codec and answer unknown
    events."""
    server.packet_class = WirePacket
    server.on("*", unknown_event, namespace="/")


__all__ = ["UNREADABLE", "WirePacket", "install", "unknown_event"]
