"""Prize draws (抽奖) at the live server: prepared with a published commitment, run with the
host's public input, stored after each step, exported for the organiser.

The rules and the fairness proof are the pure ``quiz.audience.Draw``'s (``docs/audience.md``);
this module adds the event's records and the refusals the host sees. It sends nothing: the
desk shows the draw on the LED and tells the winners' phones. Called under the desk's lock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from quiz.audience import (
    AudienceError,
    Draw,
    Eligibility,
    InvalidName,
    Prize,
    export_csv,
    export_json,
)
from quiz.live.addresses import clusters, draw_exclusions
from quiz.live.audience_protocol import ExportDraws, PrepareDraw, RunDraw
from quiz.live.audience_state import EventAudience
from quiz.live.audience_store import AudienceStore
from quiz.live.protocol import ProtocolError


class PrizeDraws:
    """The event's draws (kept in ``EventAudience.draws``) and their claim codes."""

    def __init__(
        self,
        audience: EventAudience,
        store: AudienceStore,
        clock: Callable[[], int],
        lang: Callable[[], str],
        per_address: int = 2,
    ) -> None:
        self.audience = audience
        self.store = store
        self.clock = clock
        self._lang = lang
        #: Phones of one address counted in a draw: inventing device ids buys no extra chances.
        self.per_address = per_address

    def prepare(self, args: PrepareDraw) -> Draw:
        """A new draw among the phones the rule makes eligible, committed and stored."""
        audience = self.audience
        if args.stage is not None and args.stage not in set(audience.ledger.rounds.values()):
            raise ProtocolError("not_found", f"no counted audience question in {args.stage[:64]}")
        number = len(audience.draws) + 1
        try:
            prize = Prize.create(f"p{number}", args.prize, args.count)
            exclude = self.winners() if args.exclude_winners else set()
            exclude |= draw_exclusions(
                audience.addresses,
                audience.members,
                audience.excluded_addresses,
                self.per_address,
            )
            draw = Draw.prepare(
                f"d{number}",
                prize,
                audience.ledger,
                Eligibility(args.min_correct, args.stage),
                at_ms=self.clock(),
                exclude=exclude,
                allow_repeat=args.allow_repeat,
            )
        except InvalidName as exc:
            raise ProtocolError("invalid", f"prize name: {exc.message}") from None
        except AudienceError as exc:
            raise ProtocolError(exc.code, exc.message) from None
        self._keep(draw)
        return draw

    def run(self, args: RunDraw) -> Draw:
        """Draw the winners of a prepared draw, each with a claim code, and store them."""
        audience = self.audience
        draw = audience.draws.get(args.draw)
        if draw is None:
            raise ProtocolError("not_found", f"no draw {args.draw[:64]}")
        lang = self._lang()
        try:
            done = draw.run(
                audience.codes,
                at_ms=self.clock(),
                public_input=args.public_input,
                nickname=lambda phone: audience.nicknames.name(phone, lang),
            )
        except AudienceError as exc:
            code = "already_drawn" if exc.code == "already_drawn" else "invalid"
            raise ProtocolError(code, exc.message) from None
        self._keep(done)
        return done

    def _keep(self, draw: Draw) -> None:
        audience = self.audience
        self.store.save_draw(audience.event_id or 0, draw)
        audience.draws[draw.id] = draw
        audience.shown_draw = draw.id

    def export(self, args: ExportDraws) -> dict[str, Any]:
        """Every draw of the event as a file for the organiser (claim codes optional)."""
        audience = self.audience
        draws = list(audience.draws.values())
        stem = f"draws-event-{audience.event_id}" + ("" if args.include_codes else "-public")
        if args.format == "csv":
            content = export_csv(draws, include_codes=args.include_codes)
            return {"filename": f"{stem}.csv", "mime": "text/csv", "content": content}
        content = export_json(draws, include_codes=args.include_codes)
        return {"filename": f"{stem}.json", "mime": "application/json", "content": content}

    def clusters(self) -> list[dict[str, Any]]:
        """Addresses with more phones than a draw counts, for the host to look at."""
        audience = self.audience
        found = clusters(audience.addresses, self.per_address)
        return [{**c, "excluded": c["address"] in audience.excluded_addresses} for c in found]

    def exclude_address(self, address: str, exclude: bool) -> None:
        """Leave every phone of ``address`` out of the draws prepared from now on (or not)."""
        audience = self.audience
        if exclude and address not in set(audience.addresses.values()) - {""}:
            raise ProtocolError("not_found", f"no audience phone from address {address[:16]}")
        if exclude:
            audience.excluded_addresses.add(address)
        else:
            audience.excluded_addresses.discard(address)

    def winners(self) -> set[str]:
        """Every phone that has won in an earlier draw of the event."""
        return {w.phone for d in self.audience.draws.values() for w in d.winners or ()}
