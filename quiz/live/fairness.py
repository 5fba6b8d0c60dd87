"""Fair buzzing in the live server: per-phone clock sync, compensated buzzes, buzz receipts.

The arithmetic is :mod:`quiz.fair`; this module wires it to the hub and the match service:

- :class:`FairBuzzing` (one per hub) completes each contestant phone's ``sync`` exchanges
  into its :class:`~quiz.fair.ClockSync` (a phone reports the ``t0``/``t3`` of its previous
  exchange with the next one), times each phone's turnaround on the server's own clock
  (:class:`~quiz.fair.Turnaround`: the phone's round trips are believed only within it) and
  turns a ``buzz`` into the engine's ``Buzz`` with a
  compensated press time and its uncertainty, plus a pending :class:`~quiz.fair.BuzzReceipt`;
- :class:`FairMatch` (one per match, immutable) holds the match's compensation switch and
  its receipts, and settles them from the engine's events (won, lost, tie, early, rejected).
  Receipts are persisted inside the match log entry of the command that changed them, as
  ``{"type": "buzz_receipt", ...}`` next to the engine events, and read back by
  :func:`load_receipts` (restart, export).
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quiz.celltext import cell_text
from quiz.engine import MatchRules, MatchState, OpenMode
from quiz.engine import commands as C
from quiz.engine import events as E
from quiz.fair import (
    DEFAULT_CAP_MS,
    BuzzReceipt,
    ClockSync,
    Rule,
    Turnaround,
    commit_window,
    estimate_press,
    opening_visible_at,
    trusted_rtt,
)
from quiz.models.live import MatchLogEntry
from quiz.server.bounded import BoundedMap

log = logging.getLogger(__name__)

RECEIPT_TYPE = "buzz_receipt"
#: Exchanges a socket may have outstanding (answered, not yet reported back).
SYNC_MEMORY = 16
#: Phones whose clock sync is kept (contestants; two per match, a few matches an event).
MAX_PHONES = 256
#: Receipts sent to the host console with every state (the newest ones).
RECEIPTS_SHOWN = 12


def compensating(compensation: bool, rules: MatchRules) -> bool:
    """Compensation ranks presses still in flight, so it needs a commit window to wait for
    them: a match without one is decided by arrival order, and its receipts say so."""
    return compensation and rules.commit_window_ms > 0


class FairBuzzing:
    """Clock sync state of every contestant phone, and the conversion of its buzzes."""

    def __init__(self) -> None:
        # Least recently used out first (no times: "now" is 0): phones that have not synced
        # for a while are the ones to forget, and whatever ids are invented the maps stay small.
        self.syncs: BoundedMap[str, ClockSync] = BoundedMap(MAX_PHONES)
        self.rtt_hints: BoundedMap[str, float] = BoundedMap(MAX_PHONES)
        #: device -> (socket, its turnaround): a new socket starts a new measurement.
        self.turnarounds: BoundedMap[str, tuple[str, Turnaround]] = BoundedMap(MAX_PHONES)
        self._answered: BoundedMap[str, OrderedDict[float, tuple[int, int]]] = BoundedMap(
            MAX_PHONES
        )

    def sync(
        self,
        sid: str,
        device: str,
        t0: float,
        t1: int,
        t2: int,
        prev: tuple[float, float] | None,
        rtt: float | None,
    ) -> None:
        """Remember this exchange's server times; complete the one the phone reported."""
        answered = self._answered.setdefault(sid, OrderedDict, 0)
        if prev is not None:
            server_times = answered.pop(prev[0], None)
            if server_times is not None:
                # This message could not leave the phone before our answer arrived there.
                self._turnaround(sid, device).observe(server_times[1], max(t1, server_times[1]))
                clock = self.syncs.setdefault(device, ClockSync, 0)
                try:
                    clock.add(prev[0], server_times[0], server_times[1], prev[1])
                except ValueError as exc:
                    # An impossible report changes nothing; the phone keeps syncing.
                    log.info("sync sample from %s refused: %s", device, exc)
        answered[t0] = (t1, t2)
        while len(answered) > SYNC_MEMORY:
            answered.popitem(last=False)
        if rtt is not None:
            self.rtt_hints.set(device, rtt, 0)

    def _turnaround(self, sid: str, device: str) -> Turnaround:
        held = self.turnarounds.get(device, 0)
        if held is None or held[0] != sid:
            held = (sid, Turnaround())
            self.turnarounds.set(device, held, 0)
        return held[1]

    def server_rtt(self, device: str) -> float | None:
        """The fastest turnaround the server timed for this phone's current socket."""
        held = self.turnarounds.get(device, 0)
        return held[1].fastest_ms if held is not None else None

    def believed_rtt(self, device: str) -> float | None:
        """The round trip the receipts believe for this phone (its high round trip within the
        server's own timing), or None before its first completed exchange."""
        sync = self.syncs.get(device, 0)
        est = sync.estimate if sync is not None else None
        return None if est is None else trusted_rtt(est, self.server_rtt(device))

    def forget(self, sid: str) -> None:
        """A socket closed: its unreported exchanges can never complete."""
        self._answered.pop(sid, None)

    def buzz(
        self,
        fair: FairMatch,
        state: MatchState,
        device: str,
        press_at: int | None,
        press_local: float | None,
        arrival: int,
        lag_ms: float = 0.0,
    ) -> tuple[C.Buzz, BuzzReceipt]:
        """The engine command for a phone's buzz, and its (pending) receipt. ``lag_ms``: the
        server's loop lag around the arrival (``quiz/live/looplag.py``)."""
        play = state.play
        opens_at = play.opens_at if play is not None else None
        sync = self.syncs.get(device, 0)
        visible = None
        if opens_at is not None:
            visible = opening_visible_at(opens_at, _announced_at(state), sync)
        estimate = estimate_press(
            sync,
            arrival_ms=arrival,
            opens_at=opens_at,
            claimed_device_ms=press_local,
            claimed_server_ms=press_at,
            visible_from=visible,
            rtt_hint_ms=self.rtt_hints.get(device, 0),
            server_rtt_ms=self.server_rtt(device),
            lag_ms=lag_ms,
        )
        rules = state.rules
        side = state.side_of(device)
        active = compensating(fair.compensation, rules)
        rule = Rule.COMPENSATED if active else Rule.ARRIVAL
        derived = commit_window(
            [self.syncs.get(d, 0) for d, _ in state.devices],
            cap_ms=rules.commit_window_ms or DEFAULT_CAP_MS,
        )
        receipt = BuzzReceipt.from_estimate(
            estimate,
            device_id=device,
            side=side.value if side is not None else None,
            rule=rule,
            arrival_ms=arrival,
            press_device_ms=press_local,
            opens_at=opens_at,
            derived_window_ms=derived,
            commit_window_ms=rules.commit_window_ms,
            question_id=play.spec.question_id if play is not None else None,
        )
        if active:
            command = C.Buzz(
                device, estimate.press_ms, estimate.uncertainty_ms, estimate.contest_ms
            )
        else:
            command = C.Buzz(device)
        return command, receipt


def _announced_at(state: MatchState) -> int | None:
    """When the phones were told the opening instant (None: too long ago to matter)."""
    play = state.play
    if play is None or play.opens_at is None:
        return None
    if play.rebound:
        return play.opens_at  # a rebound window opens at once
    if state.rules.open_mode is OpenMode.AUTO:
        return play.shown_at
    return play.opens_at - state.rules.open_delay_ms


@dataclass(frozen=True)
class FairMatch:
    """One match's switch and receipts; every change returns a new value."""

    compensation: bool = True
    receipts: tuple[BuzzReceipt, ...] = ()
    incoming: BuzzReceipt | None = None
    #: Receipts of the race in progress (pending, or tied and waiting for the host).
    racing: tuple[int, ...] = ()

    def expecting(self, receipt: BuzzReceipt) -> FairMatch:
        """The receipt of the buzz about to be applied."""
        return replace(self, incoming=receipt)

    def observe(
        self, command: C.Command, now: int, events: Sequence[E.Event]
    ) -> tuple[FairMatch, list[dict[str, Any]]]:
        """Settle receipts from one applied command's events; returns the new value and the
        changed receipts as log-entry dicts. Receipts are bookkeeping: a bug here is logged
        and never stops the match."""
        try:
            return self._observe(command, now, events)
        except Exception:
            log.exception("buzz receipts not updated for %s", type(command).__name__)
            return replace(self, incoming=None), []

    def _observe(
        self, command: C.Command, now: int, events: Sequence[E.Event]
    ) -> tuple[FairMatch, list[dict[str, Any]]]:
        receipts = list(self.receipts)
        racing = list(self.racing)
        changed: list[int] = []
        new: int | None = None
        incoming = self.incoming
        if (
            incoming is not None
            and isinstance(command, C.Buzz)
            and command.device_id == incoming.device_id
        ):
            receipts.append(replace(incoming, number=len(receipts) + 1))
            new = len(receipts) - 1
            changed.append(new)

        def settle(i: int, outcome: str, **details: Any) -> None:
            receipts[i] = receipts[i].settled(outcome, **details)
            if i not in changed:
                changed.append(i)

        def is_new(device: str) -> bool:
            # The buzz being applied, not yet decided: the engine may first expire an earlier
            # race (a Tick folded into this command) and only then take this buzz.
            return (
                new is not None
                and receipts[new].device_id == device
                and receipts[new].outcome == "pending"
                and new not in racing
            )

        for event in events:
            if isinstance(event, E.BuzzAccepted) and is_new(event.device_id):
                assert new is not None
                racing.append(new)
            elif isinstance(event, E.EarlyBuzz) and is_new(event.device_id):
                assert new is not None
                settle(new, "early", decided_at=now, early_ms=event.early_ms)
            elif isinstance(event, E.BuzzRejected) and is_new(event.device_id):
                assert new is not None
                settle(new, "rejected", decided_at=now, reason=event.reason)
            elif isinstance(event, E.TieDeclared):
                for i in racing:
                    settle(
                        i, "tie", decided_at=event.at, margin_ms=event.gap_ms, tie_rule=event.rule
                    )
            elif isinstance(event, E.BuzzWon):
                if is_new(event.device_id):  # decided at once (no commit window)
                    assert new is not None
                    racing.append(new)
                for i in racing:
                    settle(
                        i,
                        "won" if receipts[i].device_id == event.device_id else "lost",
                        decided_at=event.at,
                        margin_ms=event.margin_ms,
                        runner_up=event.runner_up.value if event.runner_up else None,
                        tie_rule=receipts[i].tie_rule,
                    )
                racing = []
            elif isinstance(event, E.QuestionShown | E.QuestionVoided | E.MatchEnded | E.Undone):
                # The race ended undecided (voided, shown again, ended, undone); a tie stays.
                for i in racing:
                    if receipts[i].outcome == "pending":
                        settle(i, "rejected", decided_at=now, reason=type(event).__name__)
                racing = []
        value = FairMatch(self.compensation, tuple(receipts), None, tuple(racing))
        return value, [{"type": RECEIPT_TYPE, **receipts[i].to_dict()} for i in changed]

    def view(self, rules: MatchRules) -> dict[str, Any]:
        active = compensating(self.compensation, rules)
        return {
            "compensation": self.compensation,
            "rule": (Rule.COMPENSATED if active else Rule.ARRIVAL).value,
            "receipts": [r.to_dict() for r in self.receipts[-RECEIPTS_SHOWN:]],
        }


def load_receipts(session: Session, match_id: int) -> list[BuzzReceipt]:
    """Every receipt of a match from its log, the newest version of each."""
    rows = session.scalars(
        select(MatchLogEntry.events)
        .where(MatchLogEntry.match_id == match_id)
        .order_by(MatchLogEntry.index)
    )
    found: dict[int, BuzzReceipt] = {}
    for events in rows:
        for item in events or ():
            if not isinstance(item, dict) or item.get("type") != RECEIPT_TYPE:
                continue
            data = {k: v for k, v in item.items() if k != "type"}
            try:
                receipt = BuzzReceipt.from_dict(data)
            except ValueError as exc:
                log.warning("match %s: unreadable receipt skipped: %s", match_id, exc)
                continue
            found[receipt.number] = receipt
    return [found[n] for n in sorted(found)]


def restore(session: Session, match_id: int, compensation: bool) -> FairMatch:
    return FairMatch(compensation, tuple(load_receipts(session, match_id)))


def export(receipts: Iterable[BuzzReceipt], fmt: str) -> str:
    """Receipts as CSV (one column per field) or JSON lines."""
    items = [r.to_dict() for r in receipts]
    if fmt == "json":
        return "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[f.name for f in fields(BuzzReceipt)])
    writer.writeheader()
    # Device ids are chosen by the phones: never a formula in the organiser's spreadsheet.
    writer.writerows({k: cell_text(v) for k, v in item.items()} for item in items)
    return out.getvalue()
