"""Live play: the bridge between the Socket.IO transport and the match engine.

:class:`~quiz.live.hub.LiveHub` owns the current event, the live matches (one
:class:`~quiz.live.service.MatchService` each), admin operations, presence and the ticker.
Handlers in :mod:`quiz.sockets` only authenticate, validate and forward to it.
"""
