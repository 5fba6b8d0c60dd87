"""Every command's way in, from the socket to its desk: the one path that makes a command run
at most once, in order per sender, not too fast, and only when it can be stored.

:meth:`CommandPipeline.handle` parses the command against :data:`quiz.live.routes.ROUTES`,
takes the sender's lock (``gate``), answers a resent id with the ack it already had (the
``ledger``, which also survives restarts), refuses floods (per sender and per address), refuses
everything while the storage cannot be written (``storage``), then runs the row's handler on
its desk and remembers the ack. It never raises: whatever happens, the sender gets an ack.

Lock order: the sender's lock, then the hub's lock (for ``locked`` rows), then a match's lock,
then a desk's lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from quiz.live.addresses import Addresses
from quiz.live.concurrency import Lock
from quiz.live.connections import Call, Client, Connections
from quiz.live.gate import CommandGate
from quiz.live.ledger import CommandLedger
from quiz.live.protocol import (
    Command,
    ProtocolError,
    error_ack,
    parse_command,
    storage_unavailable,
    validate_args,
)
from quiz.live.routes import ROUTES
from quiz.live.service import MatchService
from quiz.live.storage import StorageHealth

log = logging.getLogger(__name__)

#: Arguments a phone never sends: its side and device come from its seat.
CROSS_SEAT = frozenset({"side", "device", "device_id"})


class CommandPipeline:
    """Parse, de-duplicate, limit and route one command (see the module docstring)."""

    def __init__(
        self,
        *,
        connections: Connections,
        gate: CommandGate,
        ledger: CommandLedger,
        addresses: Addresses,
        storage: StorageHealth,
        lock: Lock,
        current: Callable[[], MatchService | None],
        event: Callable[[], dict[str, Any]],
        storage_failed: Callable[[], None],
        desks: Mapping[type, object],
    ) -> None:
        self.connections = connections
        self.gate = gate
        self.ledger = ledger
        self.addresses = addresses
        self.storage = storage
        self.lock = lock
        self.current = current
        self.event = event
        self.storage_failed = storage_failed  # the host console is to show the storage alert
        #: The owner of each route's handler (quiz/live/routes.py).
        self.desks = desks

    def handle(self, sid: str, raw: Any, received_ms: int) -> dict[str, Any]:
        """Validate, de-duplicate and run one command; always returns an ack, never raises."""
        client = self.connections.get(sid)
        if client is None:
            return error_ack("forbidden", "not connected")
        try:
            cmd = parse_command(raw, ROUTES)
        except ProtocolError as exc:
            return exc.ack()
        gate, ledger = self.gate, self.ledger
        with gate.lock_for(client.key):
            try:
                remembered = ledger.answered(client.key, cmd.id)
            except Exception as exc:  # the stored acks cannot be read: decide nothing
                return self._storage_error(exc, cmd)
            if remembered is not None:
                return remembered
            if not gate.allow(client.key, received_ms) or not self.addresses.allow_command(
                client.address, received_ms / 1000
            ):
                return error_ack("rate_limited", "too many commands; slow down")
            if not self.storage.ok:
                return storage_unavailable(self.storage.reason)
            current = self.current()
            try:
                with ledger.running(
                    client.key,
                    cmd.id,
                    cmd.type,
                    self.event().get("id"),
                    current.seq if current else 0,
                ) as pending:
                    ack = self._dispatch(client, cmd, received_ms)
                ledger.settle(pending, ack)
            except ProtocolError as exc:
                ack = exc.ack()
                if exc.code == "forbidden" or (
                    client.role == "player" and CROSS_SEAT & cmd.args.keys()
                ):
                    # A phone or the wall trying host commands, or a phone naming a side or
                    # device (the seat decides those): worth a look.
                    log.warning("%s %s from %s (%s)", exc.code, cmd.type, client.key, sid)
            except Exception as exc:
                # Nothing was stored, so nothing is acknowledged; a resend is decided again.
                return self._storage_error(exc, cmd)
            ledger.remember(client.key, cmd.id, ack)
            return ack

    def prune_acks(self) -> None:
        """Drop the stored acks past their retention (at start-up, when storage is fine)."""
        try:
            gone = self.ledger.prune()
        except Exception as exc:
            if not self.storage.failed(exc):
                raise
        else:
            if gone:
                log.info("pruned %d stored command acks", gone)

    def _storage_error(self, exc: Exception, cmd: Command) -> dict[str, Any]:
        """The ack of a command that raised ``exc``: ``storage_unavailable`` (the host console
        is told) when the storage is to blame, else ``internal`` (a server bug, logged)."""
        if self.storage.failed(exc):
            self.storage_failed()
            return storage_unavailable(self.storage.reason)
        log.exception("command %s", cmd.type)
        return error_ack("internal", "the server could not apply this command")

    def _dispatch(self, client: Client, cmd: Command, received_ms: int) -> dict[str, Any]:
        """Run ``cmd`` through its row of :data:`quiz.live.routes.ROUTES`; the ack."""
        route = ROUTES[cmd.type]
        if client.role not in route.roles:
            raise ProtocolError("forbidden", f"a {client.role} may not send {cmd.type}")
        call = Call(client, cmd, received_ms)
        payload = call if route.model is None else validate_args(route.model, cmd.args)
        desk = self.desks[route.desk]
        if route.locked:
            with self.lock:
                extra = route.handler(desk, payload)
        else:
            extra = route.handler(desk, payload)
        current = self.current()
        return {"ok": True, "seq": current.seq if current else 0, **extra}
