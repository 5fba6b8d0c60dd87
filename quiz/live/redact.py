"""Role-based redaction of the live state: the one function that decides who sees what.

The host sees everything. Everyone else (display, contestant phones, audience phones) gets the
answer key, accepted answers and explanation only once the question is concluded (phase
``result`` or ``finished``), and never sees device ids, the match seed or a question's bank
code. Keys are removed
wherever they occur (question, engine snapshot, moment), so a new engine field named
``answer`` cannot leak by accident.
"""

from __future__ import annotations

from typing import Any

ROLES = ("host", "display", "player", "audience")
REVEAL_PHASES = frozenset({"result", "finished"})
ANSWER_KEYS = frozenset({"answer", "accepted", "explanation", "correct_choices"})
# The seed would let anyone replay the question draw (and a seeded tie draw) in advance.
# Buzz receipts ("fair") name devices and their network figures: the host console's alone.
PRIVATE_KEYS = frozenset({"device_id", "devices", "device", "seed", "fair"})
# A question's bank code (AF-062) finds it in the public bank, and with it the answer. Only the
# question is stripped of it: "code" names other things elsewhere (error codes, prize codes).
QUESTION_PRIVATE_KEYS = frozenset({"code"})


def _strip(value: Any, keys: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list | tuple):
        return [_strip(v, keys) for v in value]
    return value


def redact(state: dict[str, Any], role: str) -> dict[str, Any]:
    """Return the ``state`` payload for ``role`` (a new dict; ``state`` is not modified).

    ``state`` is the full host view built by the match service. ``you`` is left as given:
    the caller fills it per side.
    """
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    if role == "host":
        return {**state, "role": role}
    match = state.get("match")
    phase = match.get("phase") if isinstance(match, dict) else None
    hidden = PRIVATE_KEYS if phase in REVEAL_PHASES else PRIVATE_KEYS | ANSWER_KEYS
    out = {k: _strip(v, hidden) for k, v in state.items() if k != "you"}
    match = out.get("match")
    if isinstance(match, dict) and isinstance(match.get("question"), dict):
        out["match"] = {**match, "question": _strip(match["question"], QUESTION_PRIVATE_KEYS)}
    out["role"] = role
    out["you"] = state.get("you")
    return out
