"""知晓率 as the campaign counts it: per key message, the share of phones that got it right.

Questions carry the campaign's key messages (``messages: [knows-12377, ...]`` in the bank).
Per message and per phone (``docs/report.md`` "Awareness" explains the choice): a phone
answered the message if it answered at least one question tagged with it, and knew it if
every one of those answers was right. The share is given with the number of phones and of
answers, and a 95 % Wilson score interval (it stays inside 0-100 % and is honest for small
samples, unlike the normal approximation). A phone id is salted with its event, so the
phones of different venues are different phones and message tallies add across venues.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from quiz import i18n
from quiz.records import JudgedQuestion

#: z for a two-sided 95 % interval.
Z95 = 1.959963984540054


def wilson(known: int, total: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of ``known`` out of ``total`` (None for no sample)."""
    if total <= 0:
        return None
    p = known / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    # At 0 or all known the bound is exactly 0 or 1 (rounding would leave 1e-17 off).
    low = 0.0 if known == 0 else max(0.0, centre - half)
    high = 1.0 if known == total else min(1.0, centre + half)
    return low, high


@dataclass(frozen=True, slots=True)
class MessageRate:
    """One key message: ``knew`` of ``phones`` phones got every answer about it right;
    ``answers`` is how many answers those phones gave to its questions."""

    message: str
    phones: int
    knew: int
    answers: int
    questions: int

    @property
    def value(self) -> float | None:
        return self.knew / self.phones if self.phones else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.knew, self.phones)

    def __add__(self, other: MessageRate) -> MessageRate:
        assert self.message == other.message
        return MessageRate(
            self.message,
            self.phones + other.phones,
            self.knew + other.knew,
            self.answers + other.answers,
            self.questions + other.questions,
        )


def awareness_of(
    questions: Iterable[JudgedQuestion], messages_of: Callable[[str], Sequence[str]]
) -> tuple[MessageRate, ...]:
    """Per key message (in name order), from an event's judged audience questions;
    ``messages_of`` gives a shown question id's key messages."""
    right: dict[str, dict[str, bool]] = {}
    answers: dict[str, int] = {}
    asked: dict[str, int] = {}
    for question in questions:
        for message in dict.fromkeys(messages_of(question.question_id)):
            asked[message] = asked.get(message, 0) + 1
            phones = right.setdefault(message, {})
            for phone, correct in question.verdicts.items():
                phones[phone] = phones.get(phone, True) and correct
                answers[message] = answers.get(message, 0) + 1
    return tuple(
        MessageRate(
            message=m,
            phones=len(right[m]),
            knew=sum(1 for ok in right[m].values() if ok),
            answers=answers.get(m, 0),
            questions=asked[m],
        )
        for m in sorted(right)
    )


def add_up(groups: Iterable[Iterable[MessageRate]]) -> tuple[MessageRate, ...]:
    """Message rates of several venues added up per message (in name order)."""
    total: dict[str, MessageRate] = {}
    for group in groups:
        for rate in group:
            before = total.get(rate.message)
            total[rate.message] = rate if before is None else before + rate
    return tuple(total[m] for m in sorted(total))


def message_label(message: str, lang: str) -> str:
    """The catalog's name of a key message (``message.knows_12377``), or its slug."""
    key = "message." + message.replace("-", "_")
    return i18n.translate(key, lang) if key in i18n.catalog(lang) else message
