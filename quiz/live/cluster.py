"""Several ``quiz serve`` processes sharing one Redis: which process decides, and how the others
reach it (docs/scale-out.md).

Exactly one process, the *owner*, holds a lease in Redis (``SET NX PX``, renewed every second).
Only the owner has the live matches in memory, applies commands, writes the match log and runs
the deadline ticker, so buzz arbitration has a single writer. Every other process is a
*relay*: its socket handlers forward connect, disconnect, command and (contestants') sync to
the owner through a Redis list and wait for the answer on a list of their own; the owner's
broadcasts, room changes and per-socket messages reach the relay's sockets through Flask-
SocketIO's Redis message queue, in the order the owner sent them.

A new owner (the old one stopped renewing) rebuilds the matches from the database log, which
is written before anything is broadcast; the relays then register their sockets with it again.
A process that loses its lease stops deciding at once; should a paused process still write, the
log's unique ``(match_id, index)`` refuses the second writer. Audience answers are written to
the database before they are acknowledged, so the new owner's audience desk reloads them too.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import socket
import time
from typing import Any, Protocol

from flask_socketio import SocketIO

from quiz.live.hub import LiveHub
from quiz.live.protocol import ProtocolError, error_ack
from quiz.live.rooms import NAMESPACE

log = logging.getLogger(__name__)

LEASE_MS = 5000
RENEW_S = 1.0
# The lease is trusted locally for less than its Redis lifetime: what remains covers a renewal
# in flight and clock-rate differences between this process and Redis.
LEASE_TRUST = 0.7
RPC_TIMEOUT_S = 5.0
#: Redis connections per process: two are held by the blocking pops, the rest serve requests.
REDIS_CONNECTIONS = 64
POP_TIMEOUT_S = 1
REPLY_TTL_S = 60

# Renew only a lease that is still ours (a plain PEXPIRE could extend a successor's lease).
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""


class Front(Protocol):
    """What the socket handlers call: the hub itself, or a :class:`Cluster` in front of it."""

    def connect(self, sid: str, raw_auth: Any) -> object: ...
    def disconnect(self, sid: str) -> None: ...
    def handle_command(self, sid: str, raw: Any, received_ms: int) -> dict[str, Any]: ...
    def sync(self, sid: str, raw: Any, received_ms: int) -> dict[str, Any]: ...
    def clock(self) -> int: ...


class Cluster:
    """This process's place in a multi-process deployment; see the module docstring."""

    def __init__(
        self,
        hub: LiveHub,
        socketio: SocketIO,
        redis_url: str,
        *,
        ticker: bool = True,
        prefix: str = "quiz:cluster",
    ) -> None:
        import redis

        self.hub = hub
        self.socketio = socketio
        # A join storm on a relay process forwards hundreds of connects at once, each needing a
        # Redis connection for an instant; redis-py's pool refuses the 101st ("Too many
        # connections", its default since version 8) and the phone with it. A blocking pool
        # makes the extra requests wait their turn instead (bench/scale.py, 1,000 phones).
        pool = redis.BlockingConnectionPool.from_url(
            redis_url,
            decode_responses=True,
            max_connections=REDIS_CONNECTIONS,
            timeout=RPC_TIMEOUT_S,
        )
        self.redis = redis.Redis(connection_pool=pool)
        self.node = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.ticker = ticker
        self.prefix = prefix
        self.owner: str | None = None
        self._lease_until = 0.0
        self.local: dict[str, Any] = {}  # sid -> raw auth, the sockets of this process
        self.remote: dict[str, str] = {}  # owner only: sid -> node, sockets of other processes
        self._pending: dict[str, list[Any]] = {}  # request id -> [event, answer]
        self._running = False
        self._last_prune = 0.0

    def _key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    @property
    def is_owner(self) -> bool:
        return self.owner == self.node and time.monotonic() < self._lease_until

    # --- the lease ---------------------------------------------------------------------------

    def start(self) -> None:
        """Take the lease if nobody holds it (the first process up becomes the owner before it
        serves anything), then keep the lease, the inbox and the replies going."""
        self._running = True
        self._lease_once()
        for loop in (self._lease_loop, self._inbox_loop, self._reply_loop):
            self.socketio.start_background_task(loop)

    def _lease_loop(self) -> None:
        while self._running:
            self.socketio.sleep(RENEW_S)
            try:
                self._lease_once()
            except Exception:
                log.exception("cluster lease")

    def _lease_once(self) -> None:
        started = time.monotonic()
        owner_key = self._key("owner")
        if self.owner == self.node:
            if self.redis.eval(_RENEW, 1, owner_key, self.node, LEASE_MS):
                self._lease_until = started + LEASE_MS / 1000 * LEASE_TRUST
            else:
                self._demote()
        elif self.redis.set(owner_key, self.node, nx=True, px=LEASE_MS):
            self._lease_until = started + LEASE_MS / 1000 * LEASE_TRUST
            self._promote()
        else:
            current = self.redis.get(owner_key)
            if current != self.owner:
                self.owner = current
                if current is not None:
                    self._rejoin()
        self.redis.set(self._key("node", self.node), "1", px=LEASE_MS)
        if self.owner == self.node:
            self.redis.set(self._key("event"), json.dumps(self.hub.event), px=LEASE_MS * 4)
            self._prune_dead_nodes()
        else:
            event = self.redis.get(self._key("event"))
            if event:
                # Relays render pages (titles, join links) from the owner's current event.
                self.hub.matches.event = json.loads(event)

    def _promote(self) -> None:
        """Become the owner: rebuild every live match from the log and the audience from its
        tables, take over this process's own sockets, start the ticker."""
        log.info("cluster: %s is now the owner", self.node)
        self.owner = self.node
        self._forget()
        self.hub.load()
        for sid, auth in list(self.local.items()):
            self._leave_all(sid)
            try:
                self.hub.connect(sid, auth)
            except ProtocolError:
                self.local.pop(sid, None)
                self.socketio.server.disconnect(sid, namespace=NAMESPACE)
        if self.ticker:
            self.hub.start_ticker()

    def _demote(self) -> None:
        log.warning("cluster: %s lost the lease; no longer deciding", self.node)
        self.owner = None
        self._lease_until = 0.0
        self._forget()

    def _forget(self) -> None:
        """Drop everything the hub decided from: the owner's memory is rebuilt from the log."""
        self.hub.forget()
        self.remote = {}

    def _rejoin(self) -> None:
        """A new owner knows nothing of this process's sockets: register them again."""
        for sid, auth in list(self.local.items()):
            self._leave_all(sid)
            try:
                reply = self._call("connect", {"sid": sid, "auth": auth})
            except TimeoutError:
                continue  # the next owner change (or the phone's reconnect) tries again
            if "error" in reply:
                self.local.pop(sid, None)
                self.socketio.server.disconnect(sid, namespace=NAMESPACE)

    def _leave_all(self, sid: str) -> None:
        server = self.socketio.server
        for room in server.rooms(sid, namespace=NAMESPACE):
            if room != sid:
                server.leave_room(sid, room, namespace=NAMESPACE)

    def _prune_dead_nodes(self) -> None:
        """Forget the sockets of relays that stopped (their phones then show offline)."""
        now = time.monotonic()
        if now - self._last_prune < LEASE_MS / 1000:
            return
        self._last_prune = now
        for node in set(self.remote.values()):
            if not self.redis.exists(self._key("node", node)):
                for sid in [s for s, n in self.remote.items() if n == node]:
                    self.remote.pop(sid, None)
                    self.hub.disconnect(sid)

    # --- the front the socket handlers call ----------------------------------------------------

    def clock(self) -> int:
        return self.hub.clock()

    def connect(self, sid: str, raw_auth: Any) -> object:
        self.local[sid] = raw_auth
        try:
            if self.is_owner:
                return self.hub.connect(sid, raw_auth)
            reply = self._call("connect", {"sid": sid, "auth": raw_auth})
        except ProtocolError:
            self.local.pop(sid, None)
            raise
        except (TimeoutError, TypeError, ValueError) as exc:
            self.local.pop(sid, None)
            raise ProtocolError("internal", "the server cannot reach the match owner") from exc
        if "error" in reply:
            self.local.pop(sid, None)
            raise ProtocolError(reply["error"]["code"], reply["error"]["message"])
        return reply

    def disconnect(self, sid: str) -> None:
        self.local.pop(sid, None)
        if self.is_owner:
            self.hub.disconnect(sid)
        else:
            self._send("disconnect", {"sid": sid})

    def handle_command(self, sid: str, raw: Any, received_ms: int) -> dict[str, Any]:
        if self.is_owner:
            return self.hub.handle_command(sid, raw, received_ms)
        try:
            reply = self._call("command", {"sid": sid, "payload": raw, "received_ms": received_ms})
        except (TypeError, ValueError):
            return error_ack("invalid", "payload is not JSON")
        except TimeoutError:
            return error_ack("internal", "the match owner did not answer; try again")
        return dict(reply.get("ack") or error_ack("internal", "no ack from the match owner"))

    def sync(self, sid: str, raw: Any, received_ms: int) -> dict[str, Any]:
        # Answered here, at once: a round trip through Redis would only blur the phone's clock
        # offset. Contestants' exchanges are then handed to the owner, with the times this
        # process answered with, for fair buzzing and the host console's latency column.
        reply = self.hub.sync(sid, raw, received_ms)
        auth = self.local.get(sid)
        if not self.is_owner and isinstance(auth, dict) and auth.get("seat") and "t2" in reply:
            args = {"sid": sid, "payload": raw, "received_ms": received_ms, "sent_ms": reply["t2"]}
            with contextlib.suppress(TypeError, ValueError):  # not JSON: nothing worth keeping
                self._send("sync", args)
        return reply

    # --- requests to the owner ---------------------------------------------------------------

    def _push(self, op: str, args: dict[str, Any], rid: str, reply_to: str | None) -> None:
        message = {
            "id": rid,
            "op": op,
            "args": args,
            "node": reply_to,
            "expires": time.time() + RPC_TIMEOUT_S,
        }
        self.redis.rpush(self._key("inbox"), json.dumps(message))

    def _send(self, op: str, args: dict[str, Any]) -> None:
        """A request that needs no answer."""
        self._push(op, args, secrets.token_hex(8), None)

    def _call(self, op: str, args: dict[str, Any]) -> dict[str, Any]:
        """A request and its answer (raises TimeoutError after RPC_TIMEOUT_S)."""
        event = self.socketio.server.eio.create_event()
        slot: list[Any] = [event, None]
        rid = secrets.token_hex(8)
        self._pending[rid] = slot  # before the push: the answer may be quicker than us
        try:
            self._push(op, args, rid, self.node)
            if not event.wait(RPC_TIMEOUT_S) or slot[1] is None:
                raise TimeoutError(f"no answer to {op} within {RPC_TIMEOUT_S:.0f} s")
            result: dict[str, Any] = slot[1]
            return result
        finally:
            self._pending.pop(rid, None)

    def _reply_loop(self) -> None:
        key = self._key("reply", self.node)
        while self._running:
            try:
                item = self.redis.blpop([key], timeout=POP_TIMEOUT_S)
            except Exception:
                log.exception("cluster replies")
                self.socketio.sleep(RENEW_S)
                continue
            if item is None:
                continue
            message = json.loads(item[1])
            slot = self._pending.get(message.get("id"))
            if slot is not None:
                slot[1] = message.get("result") or {}
                slot[0].set()

    def _inbox_loop(self) -> None:
        key = self._key("inbox")
        while self._running:
            if not self.is_owner:
                self.socketio.sleep(0.1)
                continue
            try:
                item = self.redis.blpop([key], timeout=POP_TIMEOUT_S)
                if item is None:
                    continue
                if not self.is_owner:
                    self.redis.lpush(key, item[1])  # not ours to decide any more: put it back
                    continue
                message = json.loads(item[1])
                if message.get("expires", 0) < time.time():
                    continue  # the caller has given up and told its phone so
                result = self._execute(message["op"], message["args"], message.get("node"))
                if message.get("node"):
                    reply_key = self._key("reply", message["node"])
                    self.redis.rpush(reply_key, json.dumps({"id": message["id"], "result": result}))
                    self.redis.expire(reply_key, REPLY_TTL_S)
            except Exception:
                log.exception("cluster inbox")
                self.socketio.sleep(0.1)

    def _execute(self, op: str, args: dict[str, Any], node: str | None) -> dict[str, Any]:
        """Run one forwarded request on the owner's hub."""
        hub = self.hub
        if op == "connect":
            if node is not None:
                self.remote[args["sid"]] = node
            try:
                hub.connect(args["sid"], args["auth"])
            except ProtocolError as exc:
                self.remote.pop(args["sid"], None)
                return {"error": {"code": exc.code, "message": exc.message}}
            return {"ok": True}
        if op == "disconnect":
            self.remote.pop(args["sid"], None)
            hub.disconnect(args["sid"])
            return {"ok": True}
        if op == "command":
            return {
                "ack": hub.handle_command(args["sid"], args["payload"], int(args["received_ms"]))
            }
        if op == "sync":
            hub.sync(args["sid"], args["payload"], int(args["received_ms"]), int(args["sent_ms"]))
            return {"ok": True}
        return {"error": {"code": "invalid", "message": f"unknown cluster op {op!r}"}}
