"""permessage-deflate that compresses a broadcast once, not once per phone.

Every browser offers permessage-deflate (RFC 7692) and simple-websocket, the WebSocket layer
under gevent and threading, accepts it with wsproto's extension: one compressor per socket,
keeping its dictionary from message to message ("context takeover"). A state sent to 2,000
phones is then compressed 2,000 times, each against that phone's own history. Profiling
``quiz serve`` under ``bench/live.py`` put 44% of the server's CPU in that compression, the
largest single cost of a fan-out.

:class:`SharedDeflate` answers every offer with ``server_no_context_takeover`` (a server may
always add it, §7.1.1.1): each message the server sends is compressed on its own, so a given
message with given window bits always compresses to the same bytes. The bytes of the last few
large messages are kept (:data:`CACHE_SIZE`), and the other sockets of a broadcast reuse them.
A message without a deflate frame (ping, a short ack) is compressed per socket as before.

What the phones send is inflated within a bound (:data:`limits.max_inbound`, the transport's
message cap): a frame whose declared length is over it is refused from its header, and a
compressed one stops inflating one byte past it and closes the socket ("message too big").
Without the bound, a 300 KB frame from any phone inflated to 300 MB in the server.

The price is a weaker compression of successive, similar states (each one no longer refers
to the previous one); ``docs/performance.md`` gives both sizes. eventlet has a WebSocket
implementation of its own, which this does not touch.

:func:`install` points simple-websocket at this class; ``quiz serve`` and the benchmark's
floor server call it before serving.
"""

from __future__ import annotations

import zlib
from collections import OrderedDict
from typing import Any

from wsproto.extensions import PerMessageDeflate
from wsproto.frame_protocol import CloseReason, FrameDecoder, FrameProtocol, Opcode, RsvBits

#: Messages this long or longer are shared (states, rounds); shorter ones are not worth a
#: dictionary lookup and would only push the states out of the cache.
SHARE_FROM_BYTES = 512
#: Distinct large messages kept: a broadcast sends one per role (host, LED, two contestants,
#: audience) and a new question adds the audience round and count.
CACHE_SIZE = 16

_cache: OrderedDict[tuple[int, bytes], bytes] = OrderedDict()
stats = {"compressed": 0, "shared": 0}
#: The largest message a client may send, inflated; set by
#: :func:`quiz.server.limits.bound_websockets` to the transport's limit.
limits = {"max_inbound": 64 * 1024}


def compress(data: bytes, window_bits: int) -> bytes:
    """One message on its own, as a permessage-deflate payload (RFC 7692 §7.2.1)."""
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -window_bits)
    out = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
    return out[:-4]  # the empty stored block's 00 00 ff ff, which the receiver appends


class SharedDeflate(PerMessageDeflate):
    """wsproto's permessage-deflate, without context takeover on the server's side and with
    one compression per distinct message."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("server_no_context_takeover", True)
        super().__init__(**kwargs)
        self._inflated = 0  # bytes of the current inbound message so far

    def frame_inbound_header(
        self,
        proto: FrameDecoder | FrameProtocol,
        opcode: Opcode,
        rsv: RsvBits,
        payload_length: int,
    ) -> CloseReason | RsvBits:
        if payload_length > limits["max_inbound"]:
            return CloseReason.MESSAGE_TOO_BIG
        if opcode is not Opcode.CONTINUATION and not opcode.iscontrol():
            self._inflated = 0
        return super().frame_inbound_header(proto, opcode, rsv, payload_length)

    def frame_inbound_payload_data(
        self, proto: FrameDecoder | FrameProtocol, data: bytes
    ) -> bytes | CloseReason:
        if not self._inbound_compressed or not self._inbound_is_compressible:
            return data
        assert self._decompressor is not None
        budget = limits["max_inbound"] - self._inflated
        try:
            # One byte past the budget is enough to know the message is too big.
            out = self._decompressor.decompress(bytes(data), budget + 1)
        except zlib.error:
            return CloseReason.INVALID_FRAME_PAYLOAD_DATA
        return self._count(out)

    def frame_inbound_complete(
        self, proto: FrameDecoder | FrameProtocol, fin: bool
    ) -> bytes | CloseReason | None:
        out = super().frame_inbound_complete(proto, fin)
        return self._count(out) if isinstance(out, bytes) else out

    def _count(self, out: bytes) -> bytes | CloseReason:
        self._inflated += len(out)
        if self._inflated > limits["max_inbound"]:
            return CloseReason.MESSAGE_TOO_BIG
        return out

    def frame_outbound(
        self, proto: Any, opcode: Opcode, rsv: RsvBits, data: bytes, fin: bool
    ) -> tuple[RsvBits, bytes]:
        shareable = (
            not proto.client
            and self.server_no_context_takeover
            and fin
            and opcode in (Opcode.TEXT, Opcode.BINARY)
            and len(data) >= SHARE_FROM_BYTES
        )
        if not shareable:
            return super().frame_outbound(proto, opcode, rsv, data, fin)
        key = (self.server_max_window_bits, bytes(data))
        payload = _cache.get(key)
        if payload is None:
            payload = compress(key[1], key[0])
            _cache[key] = payload
            if len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
            stats["compressed"] += 1
        else:
            stats["shared"] += 1
        return RsvBits(True, rsv[1], rsv[2]), payload


def install() -> None:
    """Make simple-websocket's server handshakes accept permessage-deflate with
    :class:`SharedDeflate` (it looks the class up by name at every handshake)."""
    import simple_websocket.ws

    simple_websocket.ws.PerMessageDeflate = SharedDeflate  # type: ignore[misc]


__all__ = ["CACHE_SIZE", "SHARE_FROM_BYTES", "SharedDeflate", "compress", "install", "stats"]
