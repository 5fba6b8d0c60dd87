"""Where the audience desk's messages go: the host, LED and audience rooms of the current
event, or one phone's sockets, and the views that need the server to build them (a stage's
match number from the database, a draw's animation sample from the system's randomness).

Every method is called under the desk's lock, except :meth:`AudienceOutbox.tell_phones`'s
background sender, which takes the lock per chunk so buzzes and the LED never wait behind
thousands of per-phone messages.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from quiz.live import rooms
from quiz.live.audience_protocol import EVENT_ADMIN, EVENT_SCREEN, EVENT_YOU
from quiz.live.audience_state import EventAudience
from quiz.live.audience_store import AnswerWriter, AudienceStore
from quiz.live.audience_views import admin_view, draw_view, screen_view, you_view
from quiz.live.concurrency import Lock

NAMESPACE = "/"
#: Per-phone messages at close go out in chunks, yielding in between, so the rest of the server
#: (buzzes, the LED) never waits behind thousands of them.
YOU_CHUNK = 200
#: Eligible nicknames the LED cycles through in the draw animation.
DRAW_SAMPLE = 24
#: The rooms of the pages that show the audience's count and screen (never the phones).
WALL = ("display", "host")


class AudienceOutbox:
    """Sends audience payloads for the desk (see the module docstring)."""

    def __init__(
        self,
        audience: EventAudience,
        socketio: Any,
        store: AudienceStore,
        writer: AnswerWriter,
        lock: Lock,
        lang: Callable[[], str],
    ) -> None:
        self.audience = audience
        self.socketio = socketio
        self.store = store
        self.writer = writer
        self.lock = lock
        self._lang = lang  # "zh" or "en": the event's language, for nicknames on the LED
        #: Addresses with more phones than a draw counts (set by the desk: its draws know).
        self.clusters: Callable[[], list[dict[str, Any]]] = list

    def room(self, role: str) -> str:
        event_id = self.audience.event_id or 0
        if role == "host":
            return rooms.room_host(event_id)
        if role == "display":
            return rooms.room_display(event_id)
        return rooms.room_audience(event_id)

    def emit(self, event: str, payload: dict[str, Any], to: str) -> None:
        self.socketio.emit(event, payload, to=to, namespace=NAMESPACE)

    def to_rooms(self, event: str, payload: dict[str, Any], roles: tuple[str, ...]) -> None:
        for role in roles:
            self.emit(event, payload, self.room(role))

    def everywhere(self, event: str, payload: dict[str, Any]) -> None:
        self.to_rooms(event, payload, ("host", "display", "audience"))

    def stage_view(self, stage: str) -> dict[str, Any]:
        """A stage as pages name it: 第2场 (the match's number in the event) or 有奖问答第1轮."""
        audience = self.audience
        kind, _, ident = stage.partition("-")
        number = int(ident) if ident.isdigit() else None
        if kind == "match" and number is not None:
            if number not in audience.match_numbers and audience.event_id is not None:
                audience.match_numbers.update(self.store.match_numbers(audience.event_id))
            number = audience.match_numbers.get(number, number)
        return {"stage": stage, "kind": kind, "number": number}

    def admin_view(self) -> dict[str, Any]:
        return {**admin_view(self.audience, self.stage_view), "clusters": self.clusters()}

    def screen_view(self) -> dict[str, Any]:
        audience = self.audience
        draw = audience.draws.get(audience.shown_draw or "")
        if draw is None:
            return screen_view(audience, None)
        pool = list(draw.eligible)
        # Only for the animation; the winners come from the draw's committed seed.
        sample = secrets.SystemRandom().sample(pool, min(DRAW_SAMPLE, len(pool)))
        lang = self._lang()
        stage = None if draw.rule.stage is None else self.stage_view(draw.rule.stage)
        shown = draw_view(draw, stage, [audience.nicknames.name(p, lang) for p in sample])
        return screen_view(audience, shown)

    def admin(self) -> None:
        self.emit(EVENT_ADMIN, self.admin_view(), self.room("host"))

    def screen(self) -> None:
        self.to_rooms(EVENT_SCREEN, self.screen_view(), WALL)

    def set_screen(self, screen: str, show_after_ms: int = 0) -> None:
        self.audience.screen, self.audience.screen_after_ms = screen, show_after_ms
        self.screen()

    def tell(self, phone: str, notice: str | None) -> None:
        payload = you_view(self.audience, phone, notice)
        for sid in self.audience.sids.get(phone, ()):
            self.emit(EVENT_YOU, payload, sid)

    def tell_phones(self) -> None:
        """Each connected phone that has a score its own verdict and rank, in chunks."""
        audience = self.audience
        # Every scored phone: its rank may have moved even if it did not answer this one.
        targets = [p for p in audience.ledger.phones() if p in audience.sids]

        def send() -> None:
            for start in range(0, len(targets), YOU_CHUNK):
                with self.lock:
                    batch = [
                        (sid, you_view(audience, phone))
                        for phone in targets[start : start + YOU_CHUNK]
                        for sid in audience.sids.get(phone, ())
                    ]
                for sid, payload in batch:
                    self.emit(EVENT_YOU, payload, sid)
                self.socketio.sleep(0)

        if self.writer.running:
            self.socketio.start_background_task(send)
        else:
            send()
