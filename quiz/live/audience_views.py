"""The audience payloads of protocol v1 (``docs/protocol.md`` §3): what the phones, the LED
and the host are sent about the audience question, the count, the screen, a phone's own
standing and the host's audience panel.

Pure builders: data in, a JSON-ready dict out, no I/O, no clock, no lock (the desk calls them
under its lock and passes ``now``), so each one can be tested alone. The answer key and the
explanation appear only in a published question's ``result`` and in the host's panel.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from quiz.audience import Draw, Ledger, Nicknames, RoundResult
from quiz.live.audience_state import AudienceQuiz, EventAudience, LiveQuestion
from quiz.live.protocol import VERSION
from quiz.live.questions import QuestionView

#: How a stage is named on the pages: ``{"stage", "kind", "number"}`` (see the desk).
StageView = Callable[[str], dict[str, Any]]


def public_question(q: QuestionView) -> dict[str, Any]:
    """What everyone may see of a question before it is closed: no key, no explanation, no
    bank code (it finds the question, and its key, in the public bank)."""
    return {
        "id": q.id,
        "kind": q.kind,
        "category": q.category,
        "difficulty": q.difficulty,
        "prompt": dict(q.prompt),
        "options": [dict(o) for o in q.options],
    }


def names(nicknames: Nicknames, phone: str) -> dict[str, str]:
    """The name everyone sees (approved, else generated) in both languages."""
    return {"zh": nicknames.name(phone, "zh"), "en": nicknames.name(phone, "en")}


def pending_name(nicknames: Nicknames, phone: str) -> str | None:
    """The name a phone asked for and the host has not approved yet, if any."""
    own = nicknames.own_name(phone, "zh")
    return None if own == nicknames.name(phone, "zh") else own


def summary(question: QuestionView, result: RoundResult, nicknames: Nicknames) -> dict[str, Any]:
    """The published figures: what the LED shows and the question's row keeps."""
    return {
        "answered": result.answered,
        "correct": result.correct,
        "share_correct": round(result.share_correct, 4),
        "distribution": dict(result.distribution),
        "key": list(result.key),
        "fastest": [{"name": names(nicknames, p), "t_ms": t} for p, t in result.fastest],
        "explanation": dict(question.explanation),
        "scoring": result.scoring.value,
        "limit_ms": result.limit_ms,
    }


def question_view(live: LiveQuestion) -> dict[str, Any]:
    """The ``audience_round`` payload: the question without its key until published."""
    tally = live.tally
    return {
        "v": VERSION,
        "round": live.name,
        "stage": live.stage,
        "match_id": live.match_id,
        "question": public_question(live.question),
        "multiple": tally.multiple,
        "allow_change": tally.allow_change,
        "scoring": tally.scoring.value,
        "opened_at": tally.opened_at_ms,
        "deadline": tally.deadline_ms,
        "status": "closed" if live.published else "open",
        "result": live.summary,
    }


def count_view(audience: EventAudience, now: int) -> dict[str, Any]:
    """The ``audience_count`` payload: answers so far, whether the question still takes them."""
    live = audience.current or audience.last
    out: dict[str, Any] = {
        "v": VERSION,
        "round": None,
        "match_id": None,
        "question": None,
        "open": False,
        "count": 0,
        "tally": None,
        "deadline": None,
        "online": len(audience.sids),
    }
    if live is not None:
        deadline = live.tally.deadline_ms
        result = live.tally.result if live.published else None
        out.update(
            round=live.name,
            match_id=live.match_id,
            question=live.question.id,
            open=live is audience.current and (deadline is None or now <= deadline),
            count=live.tally.answered,
            # Options nobody chose are left out (the question's result has them all).
            tally={k: n for k, n in result.distribution.items() if n}
            if result is not None
            else None,
            deadline=deadline,
        )
    return out


def leaderboard(audience: EventAudience) -> dict[str, Any]:
    """The leaderboard the LED shows (names only, never phone ids)."""
    return {
        "rows": [
            {
                "rank": r.rank,
                "name": names(audience.nicknames, r.phone),
                "points": r.points,
                "correct": r.correct,
            }
            for r in audience.ledger.leaderboard()
        ],
        "phones": len(audience.ledger),
        "scoring": audience.settings.scoring.value,
    }


def draw_view(draw: Draw, stage: dict[str, Any] | None, sample: Iterable[str]) -> dict[str, Any]:
    """A draw as the LED shows it: no phone ids, no claim codes. ``sample`` is the nicknames
    the draw animation cycles through; ``stage`` the eligibility's stage as pages name it."""
    return {
        "id": draw.id,
        "prize": draw.prize.name,
        "count": draw.prize.count,
        "eligibility": {"min_correct": draw.rule.min_correct, "stage": stage},
        "eligible_count": len(draw.eligible),
        "eligible_digest": draw.eligible_digest,
        "commitment": draw.commitment,
        "public_input": draw.public_input,
        "drawn": draw.drawn,
        "winners": [w.nickname for w in draw.winners] if draw.winners is not None else None,
        "sample": list(sample),
    }


def quiz_view(quiz: AudienceQuiz | None, ledger: Ledger) -> dict[str, Any] | None:
    """The audience-only quiz in progress and how many questions it has asked."""
    if quiz is None:
        return None
    asked = sum(1 for s in ledger.rounds.values() if s == quiz.stage)
    return {"stage": quiz.stage, "number": quiz.number, "asked": asked}


def screen_view(audience: EventAudience, draw: dict[str, Any] | None) -> dict[str, Any]:
    """The ``audience_screen`` payload: what the LED shows between and after questions."""
    return {
        "v": VERSION,
        "screen": audience.screen,
        "show_after_ms": audience.screen_after_ms,
        "leaderboard": leaderboard(audience),
        "draw": draw,
        "quiz": quiz_view(audience.quiz, audience.ledger),
    }


def you_view(audience: EventAudience, phone: str, notice: str | None = None) -> dict[str, Any]:
    """The ``audience_you`` payload: one phone's name, score, answer, verdict and prizes."""
    ledger, nicknames = audience.ledger, audience.nicknames
    row = ledger.rank_of(phone)
    score = ledger.score(phone)
    answer = outcome = None
    live = audience.current
    if live is not None and phone in live.mine:
        answer = {"round": live.name, "choices": list(live.mine[phone])}
    last = audience.last
    result = last.tally.result if last is not None else None
    if last is not None and result is not None and phone in result.outcomes:
        o = result.outcomes[phone]
        outcome = {
            "round": last.name,
            "choices": list(o.choices),
            "correct": o.correct,
            "points": o.points,
        }
    return {
        "v": VERSION,
        "nickname": {"zh": nicknames.own_name(phone, "zh"), "en": nicknames.own_name(phone, "en")},
        "shown": names(nicknames, phone),
        "pending": pending_name(nicknames, phone),
        "score": None
        if row is None or score is None
        else {
            "points": row.points,
            "correct": row.correct,
            "answered": score.answered,
            "rank": row.rank,
            "of": len(ledger),
        },
        "answer": answer,
        "outcome": outcome,
        "prizes": [
            {"draw": d.id, "prize": d.prize.name, "code": code}
            for d in audience.draws.values()
            for code in d.codes_for(phone)
        ],
        "notice": notice,
    }


def admin_view(audience: EventAudience, stage_view: StageView) -> dict[str, Any]:
    """The ``audience_admin`` payload for the host: settings, names awaiting approval, the
    counted stages, the open question with its key, the draws with their claim codes."""
    live = audience.current
    stages = list(dict.fromkeys(audience.ledger.rounds.values()))
    return {
        "v": VERSION,
        "settings": audience.settings.to_dict(),
        "pending": [
            {
                "member": audience.members[phone],
                "requested": name,
                "current": names(audience.nicknames, phone),
            }
            for phone, name in audience.nicknames.pending()
        ],
        "stages": [stage_view(s) for s in stages],
        "round": None if live is None else {**question_view(live), "key": sorted(live.tally.key)},
        "quiz": quiz_view(audience.quiz, audience.ledger),
        "draws": [d.public_dict(include_codes=True) for d in audience.draws.values()],
        "screen": audience.screen,
        "members": len(audience.members),
        "online": len(audience.sids),
        "scored": len(audience.ledger),
    }
