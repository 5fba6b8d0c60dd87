"""Snapshot states (docs/protocol.md §3) for rendering the pages in any phase without a match.

The layout tests hand these to a page's test hook ``window.__quizRender(state)``; their shape
follows what the server sends (``quiz/live/service.py`` ``MatchService.view``), so a page that
renders them renders the real thing.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
BANK = ROOT / "question_bank"

PHASES = (
    "ready",
    "question",
    "countdown",
    "buzzing",
    "arbitrating",
    "tie",
    "answering",
    "result",
    "finished",
)


def bank_questions() -> list[dict[str, Any]]:
    questions: list[dict[str, Any]] = []
    for path in sorted(BANK.glob("*.yaml")):
        questions.extend(yaml.safe_load(path.read_text(encoding="utf-8")) or [])
    return questions


def _weight(q: dict[str, Any], lang: str) -> int:
    texts = [q["prompt"][lang]] + [o[lang] for o in q.get("options") or []]
    return sum(len(t) for t in texts)


def longest_question(lang: str = "zh") -> dict[str, Any]:
    """The bank question with the most text (prompt plus options) in ``lang``."""
    return max(bank_questions(), key=lambda q: _weight(q, lang))


def longest_explanation(lang: str = "zh") -> dict[str, str]:
    return max((q["explanation"] for q in bank_questions()), key=lambda e: len(e[lang]))


def to_public(q: dict[str, Any]) -> dict[str, Any]:
    """A bank question as ``match.question`` carries it (options keyed A, B, C...)."""
    answer = q.get("answer")
    if isinstance(answer, str):
        answer = [answer]
    kind = "open" if q.get("type") == "open" else "choice"
    return {
        "id": q["id"],
        "code": q["id"],
        "kind": kind,
        "type": q.get("type"),
        "category": q.get("category"),
        "difficulty": q.get("difficulty"),
        "prompt": q["prompt"],
        "options": [
            {"key": chr(65 + i), "zh": o["zh"], "en": o["en"]}
            for i, o in enumerate(q.get("options") or [])
        ],
        "answer": answer if kind == "choice" else [],
        "explanation": q["explanation"],
    }


SAMPLE_QUESTION: dict[str, Any] = {
    "id": "AF-001",
    "code": "AF-001",
    "kind": "choice",
    "type": "single",
    "category": "anti-fraud",
    "difficulty": 1,
    "prompt": {
        "zh": "接到自称“公检法”的电话，要求把钱转到“安全账户”，这是？",
        "en": "A caller claiming to be police asks you to move money into a "
        '"safe account". This is?',
    },
    "options": [
        {"key": "A", "zh": "正常办案流程", "en": "A normal police procedure"},
        {"key": "B", "zh": "电信网络诈骗", "en": "Telecom fraud"},
        {"key": "C", "zh": "银行例行检查", "en": "A routine bank check"},
        {"key": "D", "zh": "快递理赔服务", "en": "A parcel compensation service"},
    ],
    "answer": ["B"],
    "explanation": {
        "zh": "公检法机关不存在“安全账户”，凡是要求转账到“安全账户”的都是诈骗。",
        "en": 'Police and courts have no "safe account"; anyone asking you to transfer to one '
        "is a fraudster.",
    },
}


def state(
    phase: str | None,
    *,
    role: str = "display",
    question: dict[str, Any] | None = None,
    now: int = 1_000_000,
    seq: int = 10,
    score: tuple[int, int] = (1, 2),
    names: tuple[str, str] = ("张三（城东社区）", "李四"),
    answering: str | None = None,
    winner: str | None = None,
    correct: bool | None = None,
    violation: str | None = None,
    moment: dict[str, Any] | None = None,
    you_side: str | None = None,
    event_title: str = "2025年国家网络安全宣传周·网络安全知识竞赛",
) -> dict[str, Any]:
    """A full state for ``phase`` (None: no match, the display's attract screen)."""
    event = {"id": 1, "title": event_title, "lang": "zh-CN"}
    you = {"side": you_side, "seat": "K7QX2" if you_side else None, "match_id": 3}
    if phase is None:
        return {
            "v": 1,
            "seq": 0,
            "role": role,
            "now": now,
            "event": event,
            "match": None,
            "you": you,
            "moment": None,
        }
    q = copy.deepcopy(question if question is not None else SAMPLE_QUESTION)
    judged = phase in ("result", "finished")
    if role != "host" and not judged:
        q.pop("answer", None)
        q.pop("explanation", None)
    has_question = phase not in ("ready",)
    attempts = []
    if phase == "result":
        side = answering or "red"
        attempts = [
            {"side": side, "rebound": False, "correct": bool(correct), "by": "host", "choices": []}
        ]
    engine: dict[str, Any] = {
        "seq": seq,
        "phase": phase,
        "paused": False,
        "paused_at": None,
        "score": {"red": score[0], "blue": score[1]},
        "games_to_win": 3,
        "game": sum(score) + 1,
        "game_no": sum(score) + 1,
        "match_point": [s for s, n in zip(("red", "blue"), score, strict=True) if n == 2],
        "opens_at": now - 4000 if phase not in ("ready", "question") else None,
        "buzz_deadline": now + 8_000 if phase == "buzzing" else None,
        "answer_deadline": now + 17_000 if phase == "answering" else None,
        "arbitration_until": now + 30 if phase == "arbitrating" else None,
        "eligible": [s for s in ("red", "blue") if s != violation],
        "lockouts": [],
        "rebound": False,
        "answering": answering if phase == "answering" else None,
        "tied": ["red", "blue"] if phase == "tie" else [],
        "buzzes": [
            {"side": "red", "press_at": now - 3000, "arrived_at": now - 2990},
            {"side": "blue", "press_at": now - 2958, "arrived_at": now - 2940},
        ]
        if phase in ("answering", "result", "tie")
        else [],
        "violations": [{"side": violation, "at": now - 5000, "early_ms": 320}] if violation else [],
        "attempts": attempts,
        "winner": (answering or "red") if phase == "result" and correct else None,
        "void_reason": None,
        "outcome": {"winner": winner, "termination": "games", "red": score[0], "blue": score[1]}
        if phase == "finished"
        else None,
    }
    if phase == "countdown":
        engine["opens_at"] = now + 3000
    match = {
        "id": 3,
        "number": 2,
        "status": "finished" if phase == "finished" else "live",
        "sides": {
            "red": {"name": names[0], "colour": "#d7263d", "contestant_id": 5, "online": True},
            "blue": {"name": names[1], "colour": "#1b65d4", "contestant_id": 6, "online": True},
        },
        "rules": {
            "games_to_win": 3,
            "buzz_window_ms": 10_000,
            "answer_time_ms": 20_000,
            "pre_countdown_ms": 3000,
            "rebound_answer_time_ms": 20_000,
            "rebound_buzz_window_ms": 5000,
        },
        "phase": phase,
        "paused": False,
        "question": q if has_question else None,
        "engine": engine,
    }
    return {
        "v": 1,
        "seq": seq,
        "role": role,
        "now": now,
        "event": event,
        "match": match,
        "you": you,
        "moment": moment,
    }
