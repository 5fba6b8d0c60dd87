"""The live tournament desk: the current event's tournament (两两抢答) inside the live server.

It owns the one ``quiz.tournament.Tournament`` of the current event, its row
(``quiz.models.tournament``) and the links from matches to pairings, and it carries out the
host's tournament commands (docs/protocol.md §12): create, add a pairing, start the next match,
correct or clear a result, undo. Every change is saved (the whole ``to_dict()`` JSON, one short
transaction) before anyone is told.

A pairing's match decides the pairing. Whenever the result the match's engine gives changes
(it finishes with a winner, an undo reopens it, an override changes the winner), the tournament
follows: the result is recorded, corrected or cleared. What the engine last gave is stored on
the link, so a host correction stands until the match itself changes again, and a result the
engine reached while the tournament was not saved (a crash in between) is caught up on load.

The desk sees the match registry (``quiz.live.matches``), never the hub: it is given the
callables it needs (create and start a match, tell everyone, refresh the host console).

Lock order: hub, then match, then this desk's lock; nothing is called while holding it that
could take one of the others.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from quiz import records
from quiz.engine import Match, MatchRules, Phase, Side, Termination
from quiz.live.concurrency import make_lock
from quiz.live.ledger import provide
from quiz.live.matches import MatchRegistry
from quiz.live.protocol import CreateMatch, MatchRef, ProtocolError
from quiz.live.questions import validate_filter
from quiz.live.service import MatchService
from quiz.live.tournament_view import result_dict, tournament_view
from quiz.models.live import Contestant, Seat, utcnow
from quiz.models.live import Match as MatchRow
from quiz.models.tournament import Tournament as TournamentRow
from quiz.models.tournament import TournamentMatch
from quiz.tournament import Action, MatchResult, Status, Tournament, TournamentError

log = logging.getLogger(__name__)

#: Engine events after which a match's own result may have changed.
RESULT_EVENTS = frozenset({"match_won", "match_ended", "undone", "overridden", "games_adjusted"})


@dataclass
class Link:
    """A match played for a pairing: its two contestants and the result it last gave."""

    pairing: str
    red: str
    blue: str
    result: MatchResult | None = None


def engine_result(engine: Match) -> MatchResult | None:
    """The result a finished match gives its pairing: winner, games and early buzzes (违规)
    per side; None while it is not finished or ended without a winner."""
    outcome = engine.outcome
    if engine.phase is not Phase.FINISHED or outcome is None or outcome.winner is None:
        return None
    snap = engine.snapshot()
    early = {"red": 0, "blue": 0}

    def count(violations: list[dict[str, Any]]) -> None:
        for violation in violations:
            early[violation["side"]] += 1

    games = snap["games"]
    for game in games:
        for question in game["questions"]:
            count(question["violations"])
    # Question numbers count within a game; the one in play belongs to the last game and is
    # not in its record yet if the host ended the match in the middle of it.
    play = snap.get("question")
    recorded = {q["number"] for q in games[-1]["questions"]} if games else set()
    if play is not None and play["number"] not in recorded:
        count(play["violations"])
    forfeit = outcome.termination is Termination.FORFEIT
    try:
        return MatchResult(
            outcome.winner, outcome.red, outcome.blue, early["red"], early["blue"], forfeit
        )
    except ValueError:
        # Games adjusted by hand to a score the winner does not lead: keep the winner the
        # engine declared, as a result the host can correct.
        return MatchResult(
            outcome.winner, outcome.red, outcome.blue, early["red"], early["blue"], True
        )


def _result_from(data: Any) -> MatchResult | None:
    return None if data is None else MatchResult.from_dict(data)


def _refused(exc: TournamentError) -> ProtocolError:
    return ProtocolError(exc.code, exc.message)


def newest_row(session: Session, event_id: int | None) -> TournamentRow | None:
    """The event's tournament row in play: its newest."""
    return session.scalars(
        select(TournamentRow)
        .where(TournamentRow.event_id == event_id)
        .order_by(TournamentRow.id.desc())
        .limit(1)
    ).first()


def load_tournament(session: Session, event_id: int) -> Tournament | None:
    """The event's tournament, for readers such as the report; None if it has none or its
    saved state does not restore."""
    row = newest_row(session, event_id)
    if row is None:
        return None
    try:
        return Tournament.from_dict(row.state)
    except ValueError:
        log.exception("tournament %s of event %s does not restore", row.id, event_id)
        return None


def event_contestants(session: Session, event_id: int, ids: Sequence[int]) -> dict[int, Contestant]:
    """The event's contestants with these ids; ``not_found`` names the first one missing."""
    found = {
        c.id: c
        for c in session.scalars(
            select(Contestant).where(Contestant.event_id == event_id, Contestant.id.in_(set(ids)))
        )
    }
    missing = [i for i in ids if i not in found]
    if missing:
        raise ProtocolError("not_found", f"no contestant {missing[0]} in this event")
    return found


def _link(tournament_id: int | None, pairing: str, session: Session, match_id: int) -> None:
    """Link a new match to its pairing in the match's own transaction, so that a crash never
    leaves an unlinked match. The ack stored with that transaction is already the whole one
    (pairing and seat codes): a resend after a crash right after it gets the same answer."""
    session.add(TournamentMatch(tournament_id=tournament_id, match_id=match_id, pairing=pairing))
    seats = session.scalars(select(Seat).where(Seat.match_id == match_id, Seat.revoked.is_(False)))
    provide(pairing=pairing, seats={s.side: s.code for s in seats})


class TournamentDesk:
    """The current event's tournament. ``changed`` tells everyone (state and host console),
    ``console`` the host console alone; ``create_match`` and ``start_match`` are the admin
    commands of the same names."""

    def __init__(
        self,
        *,
        matches: MatchRegistry,
        sessions: sessionmaker[Session],
        async_mode: str,
        changed: Callable[[], None],
        console: Callable[[], None],
        create_match: Callable[..., dict[str, Any]],
        start_match: Callable[[MatchRef], dict[str, Any]],
    ) -> None:
        self.matches = matches
        self.sessions = sessions
        self.changed = changed
        self.console = console
        self.create_match = create_match
        self.start_match = start_match
        self.lock = make_lock(async_mode)
        self.event_id: int | None = None
        self.row_id: int | None = None
        self.tournament: Tournament | None = None
        self.rules: dict[str, Any] = {}
        self.question_filter: dict[str, Any] = {}
        self.rev = 0
        self.links: dict[int, Link] = {}  # match id -> link
        self.broken: str | None = None
        self._view: dict[str, Any] | None = None
        self._console: dict[str, Any] | None = None

    # --- loading -----------------------------------------------------------------------------

    def load(self) -> None:
        """Load the current event's tournament and catch up with its matches (call after the
        hub has rebuilt its live matches)."""
        with self.lock:
            self._reset(self.matches.event["id"])
            with self.sessions.begin() as session:
                row = newest_row(session, self.event_id)
                if row is not None:
                    self._take(session, row)
            self._refresh()

    def _reset(self, event_id: int | None) -> None:
        self.event_id = event_id
        self.row_id = None
        self.tournament = None
        self.rules, self.question_filter = {}, {}
        self.rev = 0
        self.links = {}
        self.broken = None

    def _take(self, session: Session, row: TournamentRow) -> None:
        self.row_id, self.rev = row.id, row.rev
        try:
            tournament = Tournament.from_dict(row.state)
            links = {
                link.match_id: Link(
                    link.pairing,
                    str(link.match.red_id),
                    str(link.match.blue_id),
                    _result_from(link.result),
                )
                for link in row.matches
            }
        except ValueError as exc:
            # Left exactly as saved for inspection; a new tournament gets a new row.
            log.exception("tournament %s does not restore", row.id)
            self.broken = str(exc)[:300]
            return
        self.tournament = tournament
        self.rules, self.question_filter = dict(row.rules), dict(row.question_filter)
        self.links = links
        for link in row.matches:
            derived = self._match_result(session, link.match)
            if derived == self.links[link.match_id].result:
                continue
            log.warning("tournament %s catches up with match %s", row.id, link.match_id)
            try:
                with session.begin_nested():
                    self._follow(session, link.match_id, derived)
            except Exception:
                # Tried again on the next load; the tournament stays as saved.
                log.exception("tournament %s: match %s not caught up", row.id, link.match_id)

    def _match_result(self, session: Session, match: MatchRow) -> MatchResult | None:
        service = self.matches.services.get(match.id)
        if service is not None:
            return engine_result(service.engine)
        outcome = match.outcome or {}
        if match.status != "finished" or not outcome.get("winner"):
            return None
        stored = self.links[match.id].result
        games = outcome.get("games") or {}
        if (
            stored is not None
            and stored.winner.value == outcome["winner"]
            and [stored.red_games, stored.blue_games] == [games.get("red"), games.get("blue")]
        ):
            return stored  # the summary agrees: no need to replay the log
        try:
            return engine_result(records.replay(session, match))
        except Exception:
            log.exception("match %s could not be replayed for its tournament result", match.id)
            return stored

    # --- views -------------------------------------------------------------------------------

    def view(self) -> dict[str, Any] | None:
        """The tournament for the display and host ``state`` (None without one); ``live`` is
        the pairing whose match is being played now."""
        base = self._view
        if base is None:
            return None
        live = self._live_pairing()
        return base if live == base["live"] else {**base, "live": live}

    def console_view(self) -> dict[str, Any] | None:
        """The host console's tournament: the view plus the draw seed, rules and filter."""
        base = self._console
        if base is None:
            return None
        return {**base, "live": self._live_pairing()}

    def _live_pairing(self) -> str | None:
        current = self.matches.current
        if current is None or current.status != "live":
            return None
        link = self.links.get(current.match_id)
        return link.pairing if link is not None else None

    def _refresh(self) -> None:
        t = self.tournament
        if t is None or self.row_id is None:
            self._view = None
            self._console = {"broken": self.broken} if self.broken else None
            return
        match_ids: dict[str, int] = {}
        for match_id in sorted(self.links):
            match_ids[self.links[match_id].pairing] = match_id
        view = tournament_view(t, tournament_id=self.row_id, rev=self.rev, match_ids=match_ids)
        self._view = view
        self._console = {
            **view,
            "draw_seed": t.seed,
            "rules": self.rules,
            "filter": self.question_filter,
            "broken": None,
        }

    # --- following the matches -----------------------------------------------------------------

    def after_match_change(self, service: MatchService, events: Sequence[dict[str, Any]]) -> None:
        """Called by the hub after every change of a match, before it is broadcast."""
        link = self.links.get(service.match_id)
        if link is None or not any(e.get("type") in RESULT_EVENTS for e in events):
            return
        derived = engine_result(service.engine)
        changed = False
        with self.lock:
            if self.links.get(service.match_id) is not link or link.result == derived:
                return
            try:
                with self.sessions.begin() as session:
                    changed = self._follow(session, service.match_id, derived)
            except Exception:
                # The match itself is saved; the tournament catches up on the next load.
                log.exception("tournament could not follow match %s", service.match_id)
                self._reload_after_failure()
            self._refresh()
        if changed:
            self.console()

    def _follow(self, session: Session, match_id: int, derived: MatchResult | None) -> bool:
        """Make the match's pairing follow its new result; True if the tournament changed.

        On a failed write the in-memory tournament is put back (the action is undone)."""
        t = self.tournament
        link = self.links[match_id]
        assert t is not None and self.row_id is not None
        row = session.scalars(
            select(TournamentMatch).where(TournamentMatch.match_id == match_id)
        ).one()
        row.result = result_dict(derived) if derived is not None else None
        action = None
        try:
            if t.pairing(link.pairing) == (link.red, link.blue):
                recorded = link.pairing in t.results
                if derived is None and recorded:
                    action = t.clear(link.pairing)
                elif derived is not None and not recorded:
                    action = t.record(link.pairing, derived)
                elif derived is not None and t.results[link.pairing].result != derived:
                    action = t.correct(link.pairing, derived)
        except TournamentError as exc:
            # A pairing this match no longer decides (removed, or its entrants changed).
            log.info("match %s result not applied to %s: %s", match_id, link.pairing, exc)
        try:
            if action is not None:
                self._save(session)
            session.flush()
        except Exception:
            if action is not None:
                t.undo()
            raise
        link.result = derived
        return action is not None

    def _save(self, session: Session) -> None:
        assert self.tournament is not None
        row = session.get(TournamentRow, self.row_id)
        if row is None:
            raise RuntimeError(f"tournament {self.row_id} is gone")
        row.state = self.tournament.to_dict()
        row.rev = row.rev + 1
        row.updated = utcnow()
        self.rev = row.rev

    def _reload_after_failure(self) -> None:
        """After a failed save: back to what the database holds."""
        try:
            self.load()
        except Exception:
            log.exception("tournament reload failed")
            self._reset(self.event_id)
            self._refresh()

    # --- host commands ---------------------------------------------------------------------------

    def _require(self) -> Tournament:
        if self.tournament is None:
            raise ProtocolError("no_tournament", "this event has no tournament yet")
        return self.tournament

    def _refuse_while_live(self) -> None:
        """Results are edited between matches: a live tournament match decides its own."""
        for service in self.matches.services.values():
            if service.status == "live" and service.match_id in self.links:
                raise ProtocolError("conflict", "a tournament match is live: finish it first")

    def create_tournament(self, args: Any) -> dict[str, Any]:
        if self.tournament is not None and not args.replace:
            raise ProtocolError(
                "tournament_exists",
                "this event already has a tournament: send replace to start over",
            )
        self._refuse_while_live()
        if len(set(args.entrants)) != len(args.entrants):
            raise ProtocolError("invalid", "entrants: a contestant is listed twice")
        try:
            rules = MatchRules.from_dict(args.rules or {})
            question_filter = validate_filter(args.filter)
        except (ValueError, TypeError) as exc:
            raise ProtocolError("invalid", str(exc)[:200]) from None
        seed = args.seed
        if seed is None and args.shuffle:
            seed = secrets.token_hex(4)  # recorded, so the draw can be shown to be fair
        ids = [*args.entrants, *(i for pair in args.pairings for i in pair)]
        with self.lock, self.sessions.begin() as session:
            people = event_contestants(session, self.matches.event["id"], ids)
            try:
                tournament = Tournament.create(
                    args.format,
                    [(str(i), people[i].name) for i in args.entrants],
                    seed=seed,
                    third_place=args.third_place,
                    pairings=[(str(red), str(blue)) for red, blue in args.pairings],
                )
            except TournamentError as exc:
                raise _refused(exc) from None
            row = TournamentRow(
                event_id=self.matches.event["id"],
                format=tournament.format.value,
                state=tournament.to_dict(),
                rules={k: v for k, v in rules.to_dict().items() if k != "seed"},
                question_filter=question_filter,
                rev=self.rev + 1,
            )
            session.add(row)
            session.flush()
            self._reset(self.matches.event["id"])
            self._take(session, row)
            self._refresh()
        self.changed()
        return {"tournament_id": self.row_id, "next": tournament.next_match()}

    def add_pairing(self, args: Any) -> dict[str, Any]:
        with self.lock:
            action = self._write(lambda t: t.add_match(str(args.red), str(args.blue), args.round))
            self._refresh()
        self.changed()
        return {"pairing": action.match_id}

    def _write(self, change: Callable[[Tournament], Action]) -> Action:
        """Apply a host change and save it; after a failed save the tournament is reloaded
        from the database, so memory never runs ahead of it."""
        t = self._require()
        try:
            action = change(t)
        except TournamentError as exc:
            raise _refused(exc) from None
        try:
            with self.sessions.begin() as session:
                self._save(session)
        except Exception:
            self._reload_after_failure()
            raise
        return action

    def start_next_match(self, args: Any) -> dict[str, Any]:
        if any(s.status == "live" for s in self.matches.services.values()):
            raise ProtocolError("conflict", "another match is live: finish or abort it first")
        with self.lock:
            t = self._require()
            pairing = args.pairing if args.pairing is not None else t.next_match()
            if pairing is None:
                raise ProtocolError("nothing_ready", "no pairing is ready to be played")
            try:
                status = t.status(pairing)
            except TournamentError as exc:
                raise _refused(exc) from None
            if status is not Status.READY:
                raise ProtocolError("not_ready", f"{pairing} is {status.value}, not ready")
            red, blue = t.pairing(pairing)
            assert red is not None and blue is not None
            pending = self._pending_match(pairing, red, blue)
        if pending is None:
            created = self.create_match(
                CreateMatch(
                    red=int(red), blue=int(blue), rules=self.rules, filter=self.question_filter
                ),
                partial(_link, self.row_id, pairing),
            )
            pending = int(created["match_id"])
            with self.lock:
                self.links[pending] = Link(pairing, red, blue)
                self._refresh()
        else:
            # Its first write is the start: the stored ack must be the whole one already.
            seats = dict(self.matches.seat_codes(pending))
            provide(match_id=pending, pairing=pairing, seats=seats)
        self.start_match(MatchRef(match_id=pending))
        codes = self.matches.seat_codes(pending)
        return {"match_id": pending, "pairing": pairing, "seats": dict(codes)}

    def _pending_match(self, pairing: str, red: str, blue: str) -> int | None:
        """A match already created for this pairing and never started: it is reused."""
        ids = [
            match_id
            for match_id, link in self.links.items()
            if (link.pairing, link.red, link.blue) == (pairing, red, blue)
        ]
        if not ids:
            return None
        with self.sessions() as session:
            row = session.get(MatchRow, max(ids))
            return row.id if row is not None and row.status == "pending" else None

    def correct_result(self, args: Any) -> dict[str, Any]:
        try:
            (red_games, blue_games), (red_early, blue_early) = args.games, args.violations
            result = MatchResult(
                Side(args.winner), red_games, blue_games, red_early, blue_early, args.forfeit
            )
        except ValueError as exc:
            raise ProtocolError("invalid", str(exc)[:200]) from None
        return self._edit(
            lambda t: (
                t.correct(args.pairing, result)
                if args.pairing in t.results
                else t.record(args.pairing, result)
            )
        )

    def clear_result(self, args: Any) -> dict[str, Any]:
        return self._edit(lambda t: t.clear(args.pairing))

    def undo(self, args: Any) -> dict[str, Any]:
        return self._edit(lambda t: t.undo(), undoing=True)

    def _edit(
        self, change: Callable[[Tournament], Action], undoing: bool = False
    ) -> dict[str, Any]:
        """A host edit of the results, between matches."""
        self._refuse_while_live()
        with self.lock:
            action = self._write(change)
            self._refresh()
        self.changed()
        return {
            "action": action.kind.value,
            "pairing": action.match_id,
            "reset": list(action.reset),
            "undone": undoing,
        }


__all__ = ["Link", "TournamentDesk", "engine_result", "load_tournament"]
