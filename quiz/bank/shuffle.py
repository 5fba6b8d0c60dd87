"""The option order of a drawn question: a permutation derived from the draw's seed and the
question's code, written as the letters of the original options in shown order ("CADB").

The order is a pure function of (seed, code, option count), so a restarted server derives the
same order; it is also carried in the shown question id (``"123~CADB"``, see
:func:`shown_id`), so every reader of a match log gets the same letters without knowing the
seed. The answer key follows its options (:func:`shown_answer`).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Sequence
from typing import Any, Final, TypeVar

LETTERS: Final = "ABCDEF"
#: Between a version id and its option order in a shown id: ``"123~CADB"``.
ORDER_MARK: Final = "~"

T = TypeVar("T")


def option_order(seed: str, code: str, count: int) -> str:
    """The shown order of ``count`` options: the original letters, shown position by position.

    Seeded by the draw seed and the question code (not the version), so a reworded version
    drawn with the same seed keeps the same order."""
    if not 0 <= count <= len(LETTERS):
        raise ValueError(f"a question has 0 to {len(LETTERS)} options, not {count}")
    digest = hashlib.sha256(f"options\x00{seed}\x00{code}".encode()).digest()
    letters = list(LETTERS[:count])
    random.Random(digest).shuffle(letters)
    return "".join(letters)


def is_order(order: str, count: int) -> bool:
    """Whether ``order`` is a permutation of the first ``count`` letters."""
    return len(order) == count and sorted(order) == list(LETTERS[:count])


def shown_id(base_id: str, order: str) -> str:
    """The id a drawn question is shown under: the base id, plus the order unless it is the
    written order."""
    return base_id if order == LETTERS[: len(order)] else f"{base_id}{ORDER_MARK}{order}"


def split_id(question_id: str) -> tuple[str, str | None]:
    """(base id, order or None) of a shown id."""
    base, mark, order = question_id.partition(ORDER_MARK)
    return (base, order) if mark else (base, None)


def shown_options(options: Sequence[T], order: str) -> list[T]:
    """The options in shown order."""
    return [options[LETTERS.index(letter)] for letter in order]


def shown_answer(answer: Iterable[str], order: str) -> tuple[str, ...]:
    """The shown letters of the original ``answer`` letters, sorted."""
    return tuple(sorted(LETTERS[order.index(letter)] for letter in answer))


def shown_content(content: dict[str, Any], order: str) -> dict[str, Any]:
    """A stored question content (``options`` and letter ``answer``) in shown order; content
    whose options the order does not fit is returned as it is."""
    options = content.get("options")
    answer = content.get("answer")
    if not isinstance(options, list) or not is_order(order, len(options)):
        return content
    shown = {**content, "options": shown_options(options, order)}
    if isinstance(answer, str):
        shown["answer"] = shown_answer([answer], order)[0]
    elif isinstance(answer, list) and all(isinstance(letter, str) for letter in answer):
        shown["answer"] = list(shown_answer(answer, order))
    return shown
