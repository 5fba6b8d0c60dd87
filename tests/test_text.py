"""``quiz.text.clean_text``: the one cleaner behind model names (hub, tournament import) and
audience names (nicknames, prizes, teams)."""

from __future__ import annotations

import pytest

from quiz.audience import InvalidName, clean_name
from quiz.text import RAW_LIMIT, InvalidText, clean_text


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  红星\t队  ", "红星 队"),
        ("a\u202eb\u200bc", "abc"),  # bidi override and zero-width space go
        ("e\u0301", "\u00e9"),  # NFC
        ("e\u200b\u0301", "\u00e9"),  # a dropped character joins base and mark: NFC again
    ],
)
def test_cleans_the_same_for_both_domains(raw: str, clean: str) -> None:
    assert clean_text(raw, 40) == clean
    assert clean_name(raw, 40) == clean


@pytest.mark.parametrize(
    ("raw", "code", "message"),
    [
        (3, "not_text", "must be a string"),
        (" \u200b\t", "empty", "must not be empty"),
        ("x" * 41, "too_long", "must be at most 40 characters"),
        ("x" * (RAW_LIMIT + 1), "too_long", "must be at most 40 characters"),
    ],
)
def test_refuses_with_a_code_and_a_predicate(raw: object, code: str, message: str) -> None:
    with pytest.raises(InvalidText) as caught:
        clean_text(raw, 40)
    assert (caught.value.code, str(caught.value)) == (code, message)
    assert isinstance(caught.value, ValueError)
    with pytest.raises(InvalidName) as named:
        clean_name(raw, 40)
    assert named.value.code == code and named.value.message == f"a name {message}"
