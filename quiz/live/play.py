"""The commands that go to the live match's engine: the host's (they carry ``seq``) and the
contestant phones' (buzz, choice).

Each handler checks what only the live server knows (is a match live, is the host's view
stale, is this phone's match the one being played), turns the command into an engine command
and applies it through the hub's ``apply`` (decide, persist, broadcast). A buzz is timed by
fair buzzing under the match lock, so the estimate sees the state it is applied to.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from quiz.engine import command_from_dict
from quiz.engine import commands as C
from quiz.live.connections import Call
from quiz.live.fairness import FairBuzzing
from quiz.live.matches import MatchRegistry
from quiz.live.protocol import (
    ProtocolError,
    ShowQuestion,
    parse_buzz,
    parse_choices,
    validate_args,
)
from quiz.live.questions import QuestionSource
from quiz.live.service import MatchService, outcome

#: ``apply(service, command, now, receipt)``: decide, persist and broadcast one command.
Apply = Callable[[MatchService, C.Command, int, Any], list[dict[str, Any]]]


class Play:
    """Route handlers of the match commands (quiz/live/routes.py)."""

    def __init__(
        self,
        matches: MatchRegistry,
        questions: QuestionSource,
        fair: FairBuzzing,
        apply: Apply,
        lag: Callable[[float], float] = lambda _at: 0.0,
    ) -> None:
        self.matches = matches
        self.questions = questions
        self.fair = fair
        self.apply = apply
        #: How late the server's loop may have stamped an arrival (quiz/live/looplag.py).
        self.lag = lag

    # --- the host --------------------------------------------------------------------------

    def engine_command(self, call: Call) -> dict[str, Any]:
        """A host match command the engine takes as it is (open_buzzing, judge, undo, ...)."""
        self._require_seq(call)
        try:
            command = command_from_dict({"type": call.cmd.type, **call.cmd.args})
        except (ValueError, TypeError) as exc:
            raise ProtocolError("invalid", str(exc)[:200]) from None
        return self._run(call, lambda _service: command)

    def show_question(self, call: Call) -> dict[str, Any]:
        """The given question, or one drawn that is new to the event."""
        self._require_seq(call)
        question_id = validate_args(ShowQuestion, call.cmd.args).question_id

        def draw(service: MatchService) -> C.Command:
            used = self.matches.question_codes_used(service.event_id, except_match=service.match_id)
            command, _question = service.show_question(question_id, self.questions, used)
            return command

        return self._run(call, draw)

    @staticmethod
    def _require_seq(call: Call) -> None:
        if call.cmd.seq is None:
            raise ProtocolError("invalid", "seq: host match commands carry the last seen seq")

    def _run(self, call: Call, make: Callable[[MatchService], C.Command]) -> dict[str, Any]:
        seq = call.cmd.seq
        assert seq is not None
        # A finished match still takes undo and override (the engine's phase table decides).
        service = self.matches.live(finished_too=True)
        with service.lock:
            if not service.material_seq <= seq <= service.seq:
                raise ProtocolError(
                    "stale", f"based on seq {seq} but the match is at seq {service.seq}"
                )
            events = self.apply(service, make(service), call.received_ms, None)
            ack: dict[str, Any] = {"ok": True, "seq": service.seq, **outcome(events)}
            # What an undo took back, for the console to say (docs/protocol.md, `undo`).
            undone = next((e for e in events if e["type"] == "undone"), None)
            if undone is not None:
                ack["undone"] = {"command": undone["command"], "remaining": undone["remaining"]}
            return ack

    # --- the contestants -------------------------------------------------------------------

    def _own_match(self, call: Call) -> MatchService:
        service = self.matches.live()
        if call.client.match_id != service.match_id:
            raise ProtocolError("no_match", "your match is not the one being played")
        assert call.client.device is not None
        return service

    def buzz(self, call: Call) -> dict[str, Any]:
        service = self._own_match(call)
        device = call.client.device
        assert device is not None
        press_at, press_local = parse_buzz(call.cmd.args)
        with service.lock:  # the estimate must see the state the buzz is applied to
            command, receipt = self.fair.buzz(
                service.fair,
                service.engine.state,
                device,
                press_at,
                press_local,
                call.received_ms,
                self.lag(call.received_ms),
            )
            events = self.apply(service, command, call.received_ms, receipt)
        return {"ok": True, "seq": service.seq, **outcome(events)}

    def choice(self, call: Call) -> dict[str, Any]:
        service = self._own_match(call)
        assert call.client.device is not None
        command = C.SubmitChoice(device_id=call.client.device, choices=parse_choices(call.cmd.args))
        events = self.apply(service, command, call.received_ms, None)
        return {"ok": True, "seq": service.seq, **outcome(events)}
