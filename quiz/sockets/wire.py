"""The Socket.IO packet codec: python-socketio's, except for what it cannot decode.

A packet whose JSON is malformed or nested thousands of levels deep (within the 64 KiB
message limit that is possible) would make the stock decoder raise: the message is dropped
with a traceback in the log and the sender waits for an ack that never comes. Here such a
payload decodes to the event :data:`UNREADABLE` instead, which the handlers answer with an
``invalid`` error, so the sender learns what was wrong and nothing else is touched.

Only Socket.IO packets use this codec; engine.io keeps its own (it tries ``loads`` on every
message and relies on the ``ValueError``).
"""

from __future__ import annotations

from typing import Any

from engineio import json as _json
from socketio import packet

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


def install(server: Any) -> None:
    """Make ``server`` (a python-socketio server) decode with this codec."""
    server.packet_class = WirePacket


__all__ = ["UNREADABLE", "WirePacket", "install"]
