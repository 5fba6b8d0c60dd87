"""The buzz receipt: everything that decided one buzz, for the host console, the log and export.

A receipt is made when a buzz arrives (:meth:`BuzzReceipt.from_estimate`) and completed when
the race is decided (:meth:`BuzzReceipt.settled`). ``to_dict``/``from_dict`` are its JSON form
(persisted with the match log); ``from_dict`` is strict so a damaged log is noticed.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from enum import StrEnum
from typing import Any

from quiz.fair.press import Clamp, PressEstimate, Source


class Rule(StrEnum):
    """The arbitration rule in force for the match."""

    COMPENSATED = "compensated"  # ranked by compensated press time within the commit window
    ARRIVAL = "arrival"  # plain arrival order (compensation switched off by the host)


#: What became of a buzz: pending until the race is decided.
OUTCOMES = ("pending", "won", "lost", "tie", "early", "rejected")


@dataclass(frozen=True, slots=True)
class BuzzReceipt:
    device_id: str
    side: str | None
    rule: str  # a Rule value
    arrival_ms: int  # server clock
    press_server_ms: int  # the compensated press time the engine ranked by
    press_device_ms: float | None = None  # the press on the device's clock, as sent
    press_claimed_ms: float | None = None  # the device's own conversion to server time
    source: str = Source.ARRIVAL.value
    offset_ms: float | None = None
    rtt_ms: float | None = None
    drift_ppm: float | None = None
    uncertainty_ms: int = 0
    clamp: str | None = None  # a Clamp value
    clamped_by_ms: float = 0.0
    loop_lag_ms: float = 0.0  # the server's loop lag around the arrival (stamp up to this late)
    commit_window_ms: int | None = None  # the window in force when this race was decided
    derived_window_ms: int | None = None  # the window the measured delays call for
    opens_at: int | None = None
    early_ms: int | None = None  # 违规: pressed this long before the opening
    outcome: str = "pending"
    reason: str | None = None  # why a rejected buzz did not count (the engine's reason)
    margin_ms: int | None = None  # winner's lead over the runner-up (compensated times)
    runner_up: str | None = None
    tie_rule: str | None = None  # set when the race was too close to call
    decided_at: int | None = None
    question_id: str | None = None
    number: int = 0  # 1, 2, ... within the match (set when the buzz is applied)

    @classmethod
    def from_estimate(
        cls,
        estimate: PressEstimate,
        *,
        device_id: str,
        side: str | None,
        rule: Rule,
        arrival_ms: int,
        press_device_ms: float | None = None,
        opens_at: int | None = None,
        derived_window_ms: int | None = None,
        commit_window_ms: int | None = None,
        question_id: str | None = None,
    ) -> BuzzReceipt:
        return cls(
            device_id=device_id,
            side=side,
            rule=rule.value,
            arrival_ms=arrival_ms,
            press_server_ms=estimate.press_ms if rule is Rule.COMPENSATED else arrival_ms,
            press_device_ms=press_device_ms,
            press_claimed_ms=_round(estimate.claimed_ms),
            source=estimate.source.value if rule is Rule.COMPENSATED else Source.ARRIVAL.value,
            offset_ms=_round(estimate.offset_ms),
            rtt_ms=_round(estimate.rtt_ms),
            drift_ppm=_round(estimate.drift_ppm),
            uncertainty_ms=estimate.uncertainty_ms if rule is Rule.COMPENSATED else 0,
            clamp=estimate.clamp.value if estimate.clamp is not None else None,
            clamped_by_ms=estimate.clamped_by_ms,
            loop_lag_ms=estimate.lag_ms,
            commit_window_ms=commit_window_ms,
            derived_window_ms=derived_window_ms,
            opens_at=opens_at,
            question_id=question_id,
        )

    def settled(
        self,
        outcome: str,
        *,
        decided_at: int | None = None,
        margin_ms: int | None = None,
        runner_up: str | None = None,
        tie_rule: str | None = None,
        early_ms: int | None = None,
        reason: str | None = None,
        commit_window_ms: int | None = None,
    ) -> BuzzReceipt:
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of: {', '.join(OUTCOMES)}")
        return replace(
            self,
            outcome=outcome,
            decided_at=decided_at,
            margin_ms=margin_ms,
            runner_up=runner_up,
            tie_rule=tie_rule,
            early_ms=early_ms,
            reason=reason,
            commit_window_ms=self.commit_window_ms
            if commit_window_ms is None
            else commit_window_ms,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> BuzzReceipt:
        """Rebuild a receipt from :meth:`to_dict`; raises ``ValueError`` on anything else."""
        if not isinstance(data, dict):
            raise ValueError("a receipt must be an object")
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(str(k) for k in data if k not in known)
        if unknown:
            raise ValueError(f"unknown receipt field(s): {', '.join(unknown)[:80]}")
        for name in ("device_id", "rule", "arrival_ms", "press_server_ms"):
            if name not in data:
                raise ValueError(f"a receipt needs {name}")
        for name, value in data.items():
            _check(name, value)
        if data["rule"] not in {r.value for r in Rule}:
            raise ValueError("rule must be 'compensated' or 'arrival'")
        if data.get("clamp") is not None and data["clamp"] not in {c.value for c in Clamp}:
            raise ValueError("unknown clamp")
        if data.get("outcome", "pending") not in OUTCOMES:
            raise ValueError("unknown outcome")
        return cls(**data)


_INTS = {"arrival_ms", "press_server_ms", "uncertainty_ms", "number"}
_OPTIONAL_INTS = {
    "commit_window_ms",
    "derived_window_ms",
    "opens_at",
    "early_ms",
    "margin_ms",
    "decided_at",
}
_NUMBERS = {"press_device_ms", "press_claimed_ms", "offset_ms", "rtt_ms", "drift_ppm"}
_STRINGS = {"device_id", "rule", "source", "outcome"}


def _check(name: str, value: object) -> None:
    is_int = type(value) is int
    is_number = is_int or (type(value) is float and math.isfinite(value))
    if name in _INTS:
        ok = is_int
    elif name in _OPTIONAL_INTS:
        ok = value is None or is_int
    elif name in _NUMBERS:
        ok = value is None or is_number
    elif name in ("clamped_by_ms", "loop_lag_ms"):
        ok = is_number
    elif name in _STRINGS:
        ok = isinstance(value, str) and len(value) <= 100
    else:  # optional strings
        ok = value is None or (isinstance(value, str) and len(value) <= 100)
    if not ok:
        raise ValueError(f"receipt field {name} has the wrong type")


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
