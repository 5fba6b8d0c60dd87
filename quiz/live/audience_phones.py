"""The audience phones' sockets: which phone a socket belongs to, joining a phone to the
event on its first connect or command, and what a socket is sent when it (re)connects.

Owned by :class:`~quiz.live.audience.AudienceDesk`, which the router calls when a socket
connects or leaves and whose phone commands ask :meth:`AudiencePhones.phone` who is speaking.
It shares the desk's state (``audience_state.EventAudience``), store, outbox, presence log
(``audience_presence``: the online/offline edges behind the reach figures) and lock, and
takes the lock itself (lock order as in ``audience.py``: router, match, desk).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from quiz.live.audience_outbox import WALL, AudienceOutbox
from quiz.live.audience_presence import PresenceLog
from quiz.live.audience_protocol import (
    EVENT_ADMIN,
    EVENT_COUNT,
    EVENT_ROUND,
    EVENT_SCREEN,
    EVENT_YOU,
)
from quiz.live.audience_questions import QuestionFlow
from quiz.live.audience_state import EventAudience
from quiz.live.audience_store import AudienceStore, phone_of
from quiz.live.audience_views import count_view, question_view, you_view
from quiz.live.protocol import ProtocolError

if TYPE_CHECKING:
    from quiz.live.connections import Client


@dataclass(frozen=True)
class AudiencePhones:
    """Sockets to phones and back (see the module docstring)."""

    audience: EventAudience
    store: AudienceStore
    outbox: AudienceOutbox
    flow: QuestionFlow
    #: A phone's online/offline edges (its first socket opened, its last closed), for reach.
    presence: PresenceLog
    lock: Any
    clock: Callable[[], int]

    def connected(self, client: Client) -> None:
        """Everything a socket needs on (re)connect, sent to it alone."""
        audience = self.audience
        if audience.event_id is None:
            return
        to, outbox = client.sid, self.outbox
        if client.role == "audience" and client.device:
            phone = self._join(client.sid, client.device, client.address)
            with self.lock:
                outbox.emit(EVENT_YOU, you_view(audience, phone), to)
        elif client.role not in WALL:
            return
        with self.lock:
            live = audience.current or audience.last
            if live is not None:
                outbox.emit(EVENT_ROUND, question_view(live), to)
            count = count_view(audience, self.clock())
            # A phone reads a count only to learn that a question's time is up (protocol §3):
            # one per joining phone would be a thousand wasted messages in a join storm.
            if client.role in WALL or (count["round"] and not count["open"]):
                outbox.emit(EVENT_COUNT, count, to)
            if client.role in WALL:
                outbox.emit(EVENT_SCREEN, outbox.screen_view(), to)
            if client.role == "host":
                outbox.emit(EVENT_ADMIN, outbox.admin_view(), to)

    def _join(self, sid: str, device: str, address: str = "") -> str:
        audience = self.audience
        assert audience.event_id is not None
        phone = phone_of(audience.event_id, device)
        with self.lock:
            if phone not in audience.members:
                handle = audience.nicknames.issue(phone)
                member = self.store.add_member(audience.event_id, phone, handle.code)
                audience.members[phone] = member
                audience.phones[member] = phone
            sids = audience.sids.setdefault(phone, set())
            if not sids:
                self.presence.online(audience.members[phone], self.clock())
            sids.add(sid)
            audience.phone_by_sid[sid] = phone
            audience.addresses.setdefault(phone, address)  # where it joined from
            self.flow.counted()
        return phone

    def disconnected(self, sid: str) -> None:
        audience = self.audience
        with self.lock:
            phone = audience.phone_by_sid.pop(sid, None)
            if phone is None:
                return
            sids = audience.sids.get(phone)
            if sids is not None:
                sids.discard(sid)
                if not sids:
                    del audience.sids[phone]
                    self.presence.offline(audience.members[phone], self.clock())
            self.flow.counted()

    def phone(self, client: Client) -> str:
        """The audience phone behind a socket (joining it on its first command); a socket that
        is no audience phone is refused (before its arguments are read: quiz/live/routes.py)."""
        phone = self.audience.phone_by_sid.get(client.sid)
        if phone is None:
            if not client.device or self.audience.event_id is None:
                raise ProtocolError("forbidden", "not an audience phone")
            phone = self._join(client.sid, client.device, client.address)
        return phone
