"""Every command a client may send, who may send it, what it carries and who carries it out.

:data:`ROUTES` is the one table (docs/protocol.md §4, §12, §14): a command type not in it
is refused as ``unknown_command``, a role not in its row as ``forbidden``. Each row names its
handler, a plain function taking the desk that owns the command (the row's ``desk``, an
instance the hub holds) and either the payload validated against the row's ``model`` or, for
rows without a model, the whole :class:`~quiz.live.connections.Call` (the handler then checks
the payload itself, because the sender or the match decides what is valid). Rows marked
``locked`` run under the hub's lock (lock order: hub, then match, then desk).

The ack is ``{"ok": true, "seq": <the current match's seq>, **what the handler returned}``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from quiz.live.admin import Admin
from quiz.live.audience import AudienceDesk
from quiz.live.audience_protocol import (
    Answer,
    ApproveNickname,
    AudienceSettingsArgs,
    ExcludeAddress,
    ExportDraws,
    NextQuestion,
    Nickname,
    PrepareDraw,
    RunDraw,
    Screen,
    StartQuiz,
)
from quiz.live.connections import Call
from quiz.live.play import Play
from quiz.live.playlist import PlaylistArgs, PlaylistDesk
from quiz.live.protocol import (
    AddContestant,
    AddPairing,
    CorrectResult,
    CreateEvent,
    CreateMatch,
    CreateTournament,
    IssueSeat,
    MatchRef,
    NoArgs,
    PairingRef,
    StartNextMatch,
    Takeover,
    validate_args,
)
from quiz.live.survey import SurveyDesk
from quiz.live.tournament import TournamentDesk

HOST = frozenset({"host"})
PLAYER = frozenset({"player"})  # a contestant phone, by its seat
AUDIENCE = frozenset({"audience"})


@dataclass(frozen=True)
class Route:
    roles: frozenset[str]
    model: type[BaseModel] | None
    handler: Callable[[Any, Any], dict[str, Any]]
    desk: type
    locked: bool = False


def audience_answer(desk: AudienceDesk, call: Call) -> dict[str, Any]:
    """An audience phone's answer (``guess`` is its older name). The socket must be an audience
    phone before its arguments are read."""
    desk.phones.phone(call.client)
    return desk.answer(call.client, validate_args(Answer, call.cmd.args), call.received_ms)


def audience_nickname(desk: AudienceDesk, call: Call) -> dict[str, Any]:
    """An audience phone asks for a nickname (shown once the host approves it)."""
    desk.phones.phone(call.client)
    return desk.nickname(call.client, validate_args(Nickname, call.cmd.args), call.received_ms)


ROUTES: dict[str, Route] = {
    # The live match (§4): host commands carry the seq they are based on.
    "show_question": Route(HOST, None, Play.show_question, Play),
    "open_buzzing": Route(HOST, None, Play.engine_command, Play),
    "begin_answer": Route(HOST, None, Play.engine_command, Play),
    "judge": Route(HOST, None, Play.engine_command, Play),
    "void": Route(HOST, None, Play.engine_command, Play),
    "override": Route(HOST, None, Play.engine_command, Play),
    "adjust_games": Route(HOST, None, Play.engine_command, Play),
    "resolve_tie": Route(HOST, None, Play.engine_command, Play),
    "end_match": Route(HOST, None, Play.engine_command, Play),
    "pause": Route(HOST, None, Play.engine_command, Play),
    "resume": Route(HOST, None, Play.engine_command, Play),
    "undo": Route(HOST, None, Play.engine_command, Play),
    "buzz": Route(PLAYER, None, Play.buzz, Play),
    "choice": Route(PLAYER, None, Play.choice, Play),
    # The event, its contestants, matches and seats; the host token.
    "create_event": Route(HOST, CreateEvent, Admin.create_event, Admin, locked=True),
    "add_contestant": Route(HOST, AddContestant, Admin.add_contestant, Admin, locked=True),
    "create_match": Route(HOST, CreateMatch, Admin.create_match, Admin, locked=True),
    "issue_seat": Route(HOST, IssueSeat, Admin.issue_seat, Admin, locked=True),
    "start_match": Route(HOST, MatchRef, Admin.start_match, Admin, locked=True),
    "abort_match": Route(HOST, MatchRef, Admin.abort_match, Admin, locked=True),
    "approve_takeover": Route(HOST, Takeover, Admin.approve_takeover, Admin, locked=True),
    "deny_takeover": Route(HOST, Takeover, Admin.deny_takeover, Admin, locked=True),
    "rotate_token": Route(HOST, None, Admin.rotate_token, Admin),
    # The tournament (两两抢答, §12).
    "create_tournament": Route(
        HOST, CreateTournament, TournamentDesk.create_tournament, TournamentDesk, locked=True
    ),
    "add_pairing": Route(HOST, AddPairing, TournamentDesk.add_pairing, TournamentDesk, locked=True),
    "start_next_match": Route(
        HOST, StartNextMatch, TournamentDesk.start_next_match, TournamentDesk, locked=True
    ),
    "correct_result": Route(
        HOST, CorrectResult, TournamentDesk.correct_result, TournamentDesk, locked=True
    ),
    "clear_result": Route(
        HOST, PairingRef, TournamentDesk.clear_result, TournamentDesk, locked=True
    ),
    "undo_tournament": Route(HOST, NoArgs, TournamentDesk.undo, TournamentDesk, locked=True),
    # Audience play-along and prize draws (§14): host commands, then the phones'.
    "audience_settings": Route(
        HOST, AudienceSettingsArgs, AudienceDesk.audience_settings, AudienceDesk
    ),
    "approve_nickname": Route(HOST, ApproveNickname, AudienceDesk.approve_nickname, AudienceDesk),
    "audience_start": Route(HOST, StartQuiz, AudienceDesk.audience_start, AudienceDesk),
    "audience_next": Route(HOST, NextQuestion, AudienceDesk.audience_next, AudienceDesk),
    "audience_close": Route(HOST, NoArgs, AudienceDesk.audience_close, AudienceDesk),
    "audience_stop": Route(HOST, NoArgs, AudienceDesk.audience_stop, AudienceDesk),
    "audience_screen": Route(HOST, Screen, AudienceDesk.audience_screen, AudienceDesk),
    "prepare_draw": Route(HOST, PrepareDraw, AudienceDesk.prepare_draw, AudienceDesk),
    "run_draw": Route(HOST, RunDraw, AudienceDesk.run_draw, AudienceDesk),
    "exclude_address": Route(HOST, ExcludeAddress, AudienceDesk.exclude_address, AudienceDesk),
    "export_draws": Route(HOST, ExportDraws, AudienceDesk.export_draws, AudienceDesk),
    "answer": Route(AUDIENCE, None, audience_answer, AudienceDesk),
    "guess": Route(AUDIENCE, None, audience_answer, AudienceDesk),  # answer's older name
    "nickname": Route(AUDIENCE, None, audience_nickname, AudienceDesk),
    # The satisfaction survey (满意率, §14): the host opens and closes it, phones answer once.
    "survey_start": Route(HOST, NoArgs, SurveyDesk.survey_start, SurveyDesk),
    "survey_stop": Route(HOST, NoArgs, SurveyDesk.survey_stop, SurveyDesk),
    "survey_answer": Route(AUDIENCE, None, SurveyDesk.survey_answer, SurveyDesk),
    # The LED's playlist between matches (§16).
    "playlist_start": Route(HOST, PlaylistArgs, PlaylistDesk.playlist_start, PlaylistDesk),
    "playlist_stop": Route(HOST, NoArgs, PlaylistDesk.playlist_stop, PlaylistDesk),
}
