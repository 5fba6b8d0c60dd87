"""A tournament's state: entrants, schedule, results, the host's corrections and their undo.

Winners advance by derivation, not by copying: a slot's two entrants are worked out from the
results of the slots that feed it, so a bracket can never disagree with its results.

Correction rule. Every stored result keeps the pairing it was played between. After any
change (record, correct, clear, undo) a result is kept only while that pairing still stands:
if correcting a match gives it a different winner, a later match that winner had already
played no longer has the same two entrants, so its result is removed (the match is reset and
must be played again), and so on down the bracket. A correction that keeps the winner (a
score or 违规 fix) resets nothing. Every action is recorded with the results it changed, and
``undo`` puts exactly those back, including the results a correction reset.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from quiz.audience.jsonshape import Shape, checked_enum, version
from quiz.audience.text import InvalidName, clean_name
from quiz.tournament.errors import TournamentError
from quiz.tournament.results import MatchResult, Played
from quiz.tournament.schedule import (
    THIRD_PLACE_ID,
    Feed,
    Slot,
    Source,
    round_robin,
    seeded_order,
    single_elimination,
)
from quiz.tournament.standings import Standing, standings

FORMAT_VERSION = 1
NAME_MAX = 40
ID_MAX = 64
SEED_MAX = 200
MAX_ENTRANTS = 256
MAX_ROUND = 999


class Format(StrEnum):
    SINGLE_ELIMINATION = "single_elimination"  # 淘汰赛
    ROUND_ROBIN = "round_robin"  # 循环赛
    MANUAL = "manual"  # 手动配对


class Status(StrEnum):
    BYE = "bye"  # one side is empty: the other goes through without playing
    WAITING = "waiting"  # an entrant is not known yet (an earlier match is unplayed)
    READY = "ready"  # both entrants known, no result
    DONE = "done"


class ActionKind(StrEnum):
    RECORD = "record"
    CORRECT = "correct"
    CLEAR = "clear"
    ADD_MATCH = "add_match"


@dataclass(frozen=True, slots=True)
class Entrant:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Change:
    match_id: str
    before: Played | None
    after: Played | None


@dataclass(frozen=True, slots=True)
class Action:
    """One undoable host action and every result it changed (the first change is its own)."""

    kind: ActionKind
    match_id: str
    changes: tuple[Change, ...]
    slot: Slot | None = None  # the slot an ``add_match`` created

    @property
    def reset(self) -> tuple[str, ...]:
        """Matches whose results this action removed as a consequence."""
        return tuple(c.match_id for c in self.changes[1:])


@dataclass(frozen=True, slots=True)
class Placement:
    entrant: str
    place: int | None  # None: still in the knockout


class Tournament:
    """Build one with ``Tournament.create``; restore one with ``Tournament.from_dict``."""

    def __init__(
        self,
        format: Format,
        entrants: Sequence[Entrant],
        slots: Sequence[Slot],
        *,
        seed: str | None = None,
        third_place: bool = False,
    ) -> None:
        self.format = format
        self.entrants: tuple[Entrant, ...] = tuple(entrants)
        self.seed = seed
        self.third_place = third_place
        self._names = {e.id: e.name for e in self.entrants}
        self._slots: list[Slot] = []
        self._by_id: dict[str, Slot] = {}
        self._results: dict[str, Played] = {}
        self._history: list[Action] = []
        for slot in slots:
            self._add_slot(slot)

    # --- building ---------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        format: Format | str,
        entrants: Iterable[Entrant | tuple[str, str]],
        *,
        seed: str | None = None,
        third_place: bool = False,
        pairings: Iterable[tuple[str, str]] = (),
    ) -> Tournament:
        """A new tournament. ``entrants`` are in the host's order (best seed first); with a
        ``seed`` they are shuffled reproducibly instead. ``pairings`` (red id, blue id) are
        the first-round matches of a ``manual`` event; more can be added with ``add_match``."""
        fmt = _format(format)
        if seed is not None and (not isinstance(seed, str) or not 0 < len(seed) <= SEED_MAX):
            raise TournamentError("bad_seed", f"seed must be 1 to {SEED_MAX} characters")
        if type(third_place) is not bool:
            raise TournamentError("bad_option", "third_place must be true or false")
        if third_place and fmt is not Format.SINGLE_ELIMINATION:
            raise TournamentError("bad_option", "a third-place match needs a knockout")
        listed = _entrants(entrants)
        by_id = {e.id: e for e in listed}
        ordered = [by_id[i] for i in seeded_order([e.id for e in listed], seed)]
        ids = [e.id for e in ordered]
        slots: list[Slot] = []
        if fmt is Format.SINGLE_ELIMINATION:
            slots = single_elimination(ids, third_place)
        elif fmt is Format.ROUND_ROBIN:
            slots = round_robin(ids)
        elif len(ids) < 2:
            raise TournamentError("too_few", "an event needs at least 2 entrants")
        tournament = cls(fmt, ordered, slots, seed=seed, third_place=third_place)
        for red, blue in pairings:
            tournament._add_slot(tournament._manual_slot(red, blue, 1))
        return tournament

    def _manual_slot(self, red: str, blue: str, round_no: int | None) -> Slot:
        if self.format is not Format.MANUAL:
            raise TournamentError("wrong_format", "matches can be added only to a manual event")
        for entrant in (red, blue):
            if not isinstance(entrant, str) or entrant not in self._names:
                raise TournamentError("unknown_entrant", f"no entrant {entrant!r}")
        if red == blue:
            raise TournamentError("same_entrant", "an entrant cannot play itself")
        if round_no is None:
            round_no = max((s.round for s in self._slots), default=1)
        if type(round_no) is not int or not 1 <= round_no <= MAX_ROUND:
            raise TournamentError("bad_round", f"round must be from 1 to {MAX_ROUND}")
        for slot in self._slots:
            if slot.round == round_no and {red, blue} & set(self._pairing_ids(slot)):
                raise TournamentError("busy", f"an entrant already plays in round {round_no}")
        return Slot(
            f"M{len(self._slots) + 1}",
            round_no,
            Source(Feed.ENTRANT, red),
            Source(Feed.ENTRANT, blue),
        )

    def _add_slot(self, slot: Slot) -> None:
        if slot.id in self._by_id:
            raise ValueError(f"duplicate match id {slot.id!r}")
        for source in (slot.red, slot.blue):
            if source is None:
                continue
            known = self._names if source.feed is Feed.ENTRANT else self._by_id
            if source.ref not in known:
                raise ValueError(f"match {slot.id} refers to unknown {source.ref!r}")
        self._slots.append(slot)
        self._by_id[slot.id] = slot

    # --- reading ----------------------------------------------------------------------------

    @property
    def matches(self) -> tuple[Slot, ...]:
        """Every slot in playing order."""
        return tuple(self._slots)

    @property
    def results(self) -> dict[str, Played]:
        return dict(self._results)

    @property
    def history(self) -> tuple[Action, ...]:
        """The undoable actions, oldest first."""
        return tuple(self._history)

    def name(self, entrant_id: str) -> str:
        return self._names[entrant_id]

    def slot(self, match_id: str) -> Slot:
        found = self._by_id.get(match_id) if isinstance(match_id, str) else None
        if found is None:
            raise TournamentError("unknown_match", f"no match {match_id!r}")
        return found

    def pairing(self, match_id: str) -> tuple[str | None, str | None]:
        """The (red, blue) entrant ids of a match, ``None`` where not known (yet)."""
        return self._pairing_ids(self.slot(match_id))

    def _pairing_ids(self, slot: Slot) -> tuple[str | None, str | None]:
        return self._resolve(slot.red), self._resolve(slot.blue)

    def _resolve(self, source: Source | None) -> str | None:
        if source is None:
            return None
        if source.feed is Feed.ENTRANT:
            return source.ref
        feeder = self._by_id[source.ref]
        if feeder.is_bye:
            # Whoever is present goes through a bye; a bye has no loser.
            red, blue = self._pairing_ids(feeder)
            return (red or blue) if source.feed is Feed.WINNER else None
        played = self._results.get(source.ref)
        if played is None:
            return None
        return played.winner if source.feed is Feed.WINNER else played.loser

    def status(self, match_id: str) -> Status:
        slot = self.slot(match_id)
        if slot.is_bye:
            return Status.BYE
        if match_id in self._results:
            return Status.DONE
        return Status.WAITING if None in self._pairing_ids(slot) else Status.READY

    def next_match(self) -> str | None:
        """The first match in playing order that can be played now (the LED highlights it)."""
        for slot in self._slots:
            if self.status(slot.id) is Status.READY:
                return slot.id
        return None

    @property
    def finished(self) -> bool:
        return bool(self._slots) and all(
            self.status(s.id) in (Status.BYE, Status.DONE) for s in self._slots
        )

    def champion(self) -> str | None:
        """The winner of the final, or the top of the table once every match is played."""
        if self.format is Format.SINGLE_ELIMINATION:
            played = self._results.get(self._slots[-1].id)
            return played.winner if played else None
        return self.standings()[0].entrant if self.finished else None

    def standings(self) -> list[Standing]:
        """The table of a round robin or manual event (rules in ``quiz.tournament.standings``)."""
        if self.format is Format.SINGLE_ELIMINATION:
            raise TournamentError("wrong_format", "a knockout has placements, not a table")
        return standings([e.id for e in self.entrants], self._results.values())

    def placements(self) -> list[Placement]:
        """Knockout places: 1 champion, 2 runner-up, 3 (and 4 with a third-place match), then
        everyone out in round ``r`` of ``R`` shares place ``2**(R - r) + 1``. Entrants still
        in come first (in seeding order), then by place, then by seed."""
        if self.format is not Format.SINGLE_ELIMINATION:
            raise TournamentError("wrong_format", "only a knockout has placements")
        last_round = self._slots[-1].round
        place: dict[str, int] = {}
        for slot in self._slots:
            played = self._results.get(slot.id)
            if played is None or slot.id == THIRD_PLACE_ID:
                continue
            place[played.loser] = 2 ** (last_round - slot.round) + 1
            if slot is self._slots[-1]:
                place[played.winner] = 1
        third = self._results.get(THIRD_PLACE_ID)
        if third is not None:
            place[third.winner], place[third.loser] = 3, 4
        seed = {e.id: i for i, e in enumerate(self.entrants)}
        rows = [Placement(e.id, place.get(e.id)) for e in self.entrants]
        return sorted(rows, key=lambda p: (p.place is not None, p.place or 0, seed[p.entrant]))

    # --- host actions -----------------------------------------------------------------------

    def record(self, match_id: str, result: MatchResult) -> Action:
        """Record the result of a match that is ready to be played."""
        slot = self._playable(match_id)
        if match_id in self._results:
            raise TournamentError("already_recorded", f"{match_id} has a result; correct it")
        red, blue = self._pairing_ids(slot)
        if red is None or blue is None:
            raise TournamentError("not_ready", f"{match_id} does not have both entrants yet")
        return self._apply(ActionKind.RECORD, match_id, Played(_result(result), red, blue))

    def correct(self, match_id: str, result: MatchResult) -> Action:
        """Replace a recorded result; later results it invalidates are reset (module doc)."""
        self._playable(match_id)
        old = self._results.get(match_id)
        if old is None:
            raise TournamentError("not_recorded", f"{match_id} has no result to correct")
        return self._apply(ActionKind.CORRECT, match_id, Played(_result(result), old.red, old.blue))

    def clear(self, match_id: str) -> Action:
        """Remove a recorded result (the match goes back to ready), resetting what depended
        on it."""
        self._playable(match_id)
        if match_id not in self._results:
            raise TournamentError("not_recorded", f"{match_id} has no result to clear")
        return self._apply(ActionKind.CLEAR, match_id, None)

    def add_match(self, red: str, blue: str, round_no: int | None = None) -> Action:
        """Pair two entrants in a manual event (default round: the latest one)."""
        slot = self._manual_slot(red, blue, round_no)
        self._add_slot(slot)
        action = Action(ActionKind.ADD_MATCH, slot.id, (), slot)
        self._history.append(action)
        return action

    def undo(self) -> Action:
        """Take back the latest action, restoring every result it changed."""
        if not self._history:
            raise TournamentError("nothing_to_undo", "there is no action to undo")
        action = self._history.pop()
        if action.kind is ActionKind.ADD_MATCH:
            # Actions are undone newest first, so the match it added is the last one.
            del self._by_id[self._slots.pop().id]
        for change in reversed(action.changes):
            self._put(change.match_id, change.before)
        return action

    def _playable(self, match_id: str) -> Slot:
        slot = self.slot(match_id)
        if slot.is_bye:
            raise TournamentError("bye", f"{match_id} is a bye and is not played")
        return slot

    def _apply(self, kind: ActionKind, match_id: str, new: Played | None) -> Action:
        changes = [Change(match_id, self._results.get(match_id), new)]
        self._put(match_id, new)
        # Slots only draw on earlier slots, so one pass in playing order settles every reset.
        for slot in self._slots:
            played = self._results.get(slot.id)
            if played is not None and (played.red, played.blue) != self._pairing_ids(slot):
                changes.append(Change(slot.id, played, None))
                del self._results[slot.id]
        action = Action(kind, match_id, tuple(changes))
        self._history.append(action)
        return action

    def _put(self, match_id: str, played: Played | None) -> None:
        if played is None:
            self._results.pop(match_id, None)
        else:
            self._results[match_id] = played

    # --- persistence ------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "v": FORMAT_VERSION,
            "format": self.format.value,
            "seed": self.seed,
            "third_place": self.third_place,
            "entrants": [{"id": e.id, "name": e.name} for e in self.entrants],
            "matches": [_slot_dict(s) for s in self._slots],
            "results": {
                s.id: self._results[s.id].to_dict() for s in self._slots if s.id in self._results
            },
            "history": [_action_dict(a) for a in self._history],
        }

    @classmethod
    def from_dict(cls, data: object) -> Tournament:
        """Restore a tournament; anything inconsistent is a ``ValueError`` naming it."""
        version(data, "tournament", FORMAT_VERSION)
        keys = ("v", "format", "seed", "third_place", "entrants", "matches", "results", "history")
        shape = Shape(data, "tournament", keys)
        try:
            fmt = _format(shape.raw("format"))
        except TournamentError as exc:
            raise ValueError(f"tournament.format: {exc.message}") from None
        entrants = [_entrant_from(item, where) for where, item in shape.items("entrants")]
        if len({e.id for e in entrants}) != len(entrants) or len(entrants) > MAX_ENTRANTS:
            raise ValueError(f"tournament.entrants: repeated ids or more than {MAX_ENTRANTS}")
        slots = [_slot_from(item, where) for where, item in shape.items("matches")]
        history = [_action_from(item, where) for where, item in shape.items("history")]
        third_place = shape.flag("third_place")
        if third_place and fmt is not Format.SINGLE_ELIMINATION:
            raise ValueError("tournament.third_place needs a knockout")
        ids = [e.id for e in entrants]
        try:
            if fmt is Format.SINGLE_ELIMINATION:
                expected = single_elimination(ids, third_place)
            elif fmt is Format.ROUND_ROBIN:
                expected = round_robin(ids)
            else:
                expected = []
        except TournamentError as exc:
            raise ValueError(f"tournament: {exc.message}") from None
        seed = shape.opt_text("seed", SEED_MAX)
        tournament = cls(fmt, entrants, expected, seed=seed, third_place=third_place)
        if fmt is Format.MANUAL:
            # The pairings made at creation are the matches no add_match action explains.
            added = {a.match_id for a in history if a.kind is ActionKind.ADD_MATCH}
            for i, slot in enumerate(s for s in slots if s.id not in added):
                tournament._replay_slot(slot, f"tournament.matches[{i}]")
        # Replaying the history must rebuild the schedule and the results exactly: this is
        # what makes a restored tournament's undo trustworthy.
        for i, action in enumerate(history):
            where = f"tournament.history[{i}]"
            if action.slot is not None:
                tournament._replay_slot(action.slot, where)
            for change in action.changes:
                if change.match_id not in tournament._by_id:
                    raise ValueError(f"{where}: unknown match {change.match_id!r}")
                if tournament._results.get(change.match_id) != change.before:
                    raise ValueError(f"{where}: does not replay onto the results before it")
                tournament._put(change.match_id, change.after)
            tournament._history.append(action)
        if tournament._slots != slots:
            raise ValueError("tournament.matches do not match the format, entrants and history")
        results = {
            match_id: Played.from_dict(item, f"tournament.results.{match_id}")
            for match_id, item in shape.obj("results").items()
        }
        if results != tournament._results:
            raise ValueError("tournament.results do not match the history")
        for match_id, played in results.items():
            if (played.red, played.blue) != tournament._pairing_ids(tournament._by_id[match_id]):
                raise ValueError(f"tournament.results.{match_id}: not the pairing of the match")
        return tournament

    def _replay_slot(self, slot: Slot, where: str) -> None:
        """Re-add a persisted manual match through the same checks as the host's action."""
        if slot.red is None or slot.blue is None:
            raise ValueError(f"{where}: a manual match has two entrants")
        try:
            rebuilt = self._manual_slot(slot.red.ref, slot.blue.ref, slot.round)
        except TournamentError as exc:
            raise ValueError(f"{where}: {exc.message}") from None
        if rebuilt != slot:
            raise ValueError(f"{where}: the match does not replay")
        self._add_slot(rebuilt)


# --- helpers ----------------------------------------------------------------------------------


def _format(value: object) -> Format:
    try:
        return checked_enum(Format, value, "format")
    except ValueError as exc:
        raise TournamentError("bad_format", str(exc)) from None


def _result(result: object) -> MatchResult:
    if not isinstance(result, MatchResult):
        raise TournamentError("bad_result", "a result must be a MatchResult")
    return result


def _entrants(entrants: Iterable[Entrant | tuple[str, str]]) -> list[Entrant]:
    out: list[Entrant] = []
    seen_ids: set[str] = set()
    seen_names: set[str] = set()
    for item in entrants:
        if isinstance(item, Entrant):
            entrant_id, raw_name = item.id, item.name
        elif isinstance(item, tuple) and len(item) == 2:
            entrant_id, raw_name = item
        else:
            raise TournamentError("bad_entrant", "an entrant is an (id, name) pair")
        if not isinstance(entrant_id, str) or not 0 < len(entrant_id) <= ID_MAX:
            raise TournamentError("bad_entrant", f"entrant ids must be 1 to {ID_MAX} characters")
        try:
            name = clean_name(raw_name, NAME_MAX)
        except InvalidName as exc:
            raise TournamentError("bad_name", f"entrant {entrant_id}: {exc.message}") from None
        if entrant_id in seen_ids:
            raise TournamentError("duplicate_entrant", f"entrant id {entrant_id!r} is repeated")
        if name.casefold() in seen_names:
            raise TournamentError("duplicate_name", f"two entrants are called {name!r}")
        seen_ids.add(entrant_id)
        seen_names.add(name.casefold())
        out.append(Entrant(entrant_id, name))
        if len(out) > MAX_ENTRANTS:
            raise TournamentError("too_many", f"at most {MAX_ENTRANTS} entrants")
    return out


def _entrant_from(data: object, where: str) -> Entrant:
    shape = Shape(data, where, ("id", "name"))
    name = shape.text("name", NAME_MAX)
    try:
        clean = clean_name(name, NAME_MAX)
    except InvalidName as exc:
        raise ValueError(f"{shape.at('name')}: {exc.message}") from None
    if clean != name:
        raise ValueError(f"{shape.at('name')} is not a cleaned name")
    return Entrant(shape.text("id", ID_MAX), name)


def _source_dict(source: Source | None) -> dict[str, str] | None:
    return None if source is None else source.to_dict()


def _source_from(value: object, where: str) -> Source | None:
    if value is None:
        return None
    if not isinstance(value, dict) or len(value) != 1:
        raise ValueError(f"{where} must be null or one of entrant/winner/loser")
    ((feed, ref),) = value.items()
    if feed not in {f.value for f in Feed} or not isinstance(ref, str) or not ref:
        raise ValueError(f"{where} must be null or one of entrant/winner/loser")
    return Source(Feed(feed), ref)


def _slot_dict(slot: Slot) -> dict[str, Any]:
    return {
        "id": slot.id,
        "round": slot.round,
        "red": _source_dict(slot.red),
        "blue": _source_dict(slot.blue),
    }


def _slot_from(data: object, where: str) -> Slot:
    shape = Shape(data, where, ("id", "round", "red", "blue"))
    return Slot(
        shape.text("id", ID_MAX),
        shape.integer("round", 1, MAX_ROUND),
        _source_from(shape.raw("red"), shape.at("red")),
        _source_from(shape.raw("blue"), shape.at("blue")),
    )


def _played_dict(played: Played | None) -> dict[str, Any] | None:
    return None if played is None else played.to_dict()


def _action_dict(action: Action) -> dict[str, Any]:
    return {
        "action": action.kind.value,
        "match": action.match_id,
        "changes": [
            {"match": c.match_id, "before": _played_dict(c.before), "after": _played_dict(c.after)}
            for c in action.changes
        ],
        "slot": None if action.slot is None else _slot_dict(action.slot),
    }


def _action_from(data: object, where: str) -> Action:
    shape = Shape(data, where, ("action", "match", "changes", "slot"))
    kind = checked_enum(ActionKind, shape.raw("action"), shape.at("action"))
    changes = []
    for at, item in shape.items("changes"):
        c = Shape(item, at, ("match", "before", "after"))
        before, after = c.raw("before"), c.raw("after")
        changes.append(
            Change(
                c.text("match", ID_MAX),
                None if before is None else Played.from_dict(before, c.at("before")),
                None if after is None else Played.from_dict(after, c.at("after")),
            )
        )
    slot = None if shape.raw("slot") is None else _slot_from(shape.raw("slot"), shape.at("slot"))
    match_id = shape.text("match", ID_MAX)
    if kind is ActionKind.ADD_MATCH:
        if slot is None or slot.id != match_id or changes or slot.is_bye:
            raise ValueError(f"{where}: an add_match action must carry its match and no results")
    elif slot is not None or not changes or changes[0].match_id != match_id:
        raise ValueError(f"{where}: a result action must start with its own match's change")
    return Action(kind, match_id, tuple(changes), slot)


__all__ = [
    "Action",
    "ActionKind",
    "Change",
    "Entrant",
    "Format",
    "Placement",
    "Status",
    "Tournament",
]
