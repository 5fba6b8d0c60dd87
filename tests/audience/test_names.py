"""Name cleaning (nicknames, entrant and prize names) and the nickname book."""

from __future__ import annotations

import json
import random
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quiz.audience import NICKNAME_MAX, PREFIXES, AudienceError, InvalidName, Nicknames, clean_name
from quiz.audience.nicknames import NUMBERS

GENERATED = re.compile(r"^(?P<prefix>.+)-(?P<number>\d{4})$")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  反诈\t达人  ", "反诈 达人"),
        ("a\u202eevil\u202c", "aevil"),  # bidi override and pop
        ("a\u2066b\u2069c", "abc"),  # bidi isolates
        ("zero\u200bwidth\ufeff", "zerowidth"),
        ("line\nbreak\r\nx", "line break x"),
        ("全角\u3000空格", "全角 空格"),
        ("e\u0301", "\u00e9"),  # NFC
        ("e\u200b\u0301", "\u00e9"),  # a removed character must not block composition
        ("\x00bell\x07", "bell"),
        ("<b>x</b>", "<b>x</b>"),  # escaping is the renderer's job, nothing is lost here
    ],
)
def test_clean_name(raw: str, clean: str) -> None:
    assert clean_name(raw, 16) == clean


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "empty"),
        ("   \u200b\u202e\t", "empty"),
        ("x" * 17, "too_long"),
        ("x" * 5000, "too_long"),
        (None, "not_text"),
        (42, "not_text"),
    ],
)
def test_clean_name_refuses_with_a_code(raw: object, code: str) -> None:
    with pytest.raises(InvalidName) as err:
        clean_name(raw, 16)
    assert err.value.code == code
    if code == "too_long":
        assert err.value.limit == 16


@given(st.text(max_size=60))
def test_clean_name_output_is_clean_and_stable(raw: str) -> None:
    try:
        name = clean_name(raw, 40)
    except InvalidName as err:
        assert err.code in ("empty", "too_long")
        return
    assert 0 < len(name) <= 40
    assert name == name.strip() and "  " not in name
    assert unicodedata.is_normalized("NFC", name)
    assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in name)
    assert all(ch == " " or not ch.isspace() for ch in name)
    assert clean_name(name, 40) == name


def test_generated_nicknames_are_unique_well_formed_and_bilingual() -> None:
    book = Nicknames(random.Random(42))
    zh = {book.name(f"p{i}") for i in range(2_000)}
    en = {book.name(f"p{i}", "en") for i in range(2_000)}
    assert len(zh) == len(en) == 2_000
    prefixes = {p for pair in PREFIXES for p in pair}
    for phone in ("p0", "p1999"):
        for lang in ("zh", "en"):
            name = book.name(phone, lang)
            m = GENERATED.match(name)
            assert m and m["prefix"] in prefixes
            assert len(name) <= NICKNAME_MAX and clean_name(name, NICKNAME_MAX) == name
        assert book.name(phone)[-4:] == book.name(phone, "en")[-4:]
    assert book.issue("p5") == book.issue("p5")
    assert len(book) == 2_000


class Stuck(random.Random):
    """Returns the same number every time: forces the generator past its random tries."""

    def randrange(self, *args: object, **kwargs: object) -> int:  # type: ignore[override]
        return 0


def test_generator_scans_when_random_picks_collide() -> None:
    book = Nicknames(Stuck())
    names = [book.name(f"p{i}") for i in range(50)]
    assert len(set(names)) == 50
    assert names[:2] == [f"{PREFIXES[0][0]}-0000", f"{PREFIXES[0][0]}-0001"]


def test_generator_skips_a_generated_name_someone_chose() -> None:
    book = Nicknames(Stuck())
    book.issue("early")  # gets prefix 0, number 0000
    book.request("early", f"{PREFIXES[0][1]}-0001")  # asks for the next generated name
    assert book.name("late", "en") == f"{PREFIXES[0][1]}-0002"


def test_changed_nickname_shows_on_the_wall_only_after_approval() -> None:
    book = Nicknames(random.Random(1))
    generated = book.name("p1")
    assert book.request("p1", "  反诈小能手\u202e ") == "反诈小能手"
    assert book.name("p1") == generated  # the LED
    assert book.own_name("p1") == "反诈小能手"  # the phone itself
    assert book.pending() == [("p1", "反诈小能手")]
    assert book.approve("p1", "反诈小能手") == "反诈小能手"
    assert book.name("p1") == book.name("p1", "en") == "反诈小能手"
    assert book.pending() == []
    book.request("p1", "Second")
    book.reject("p1")
    assert book.name("p1") == book.own_name("p1") == "反诈小能手"
    with pytest.raises(AudienceError) as err:
        book.approve("p1", "Second")
    assert err.value.code == "no_request"


def test_an_approval_names_the_text_the_host_saw() -> None:
    book = Nicknames(random.Random(4))
    generated = book.name("p1")
    book.request("p1", "Alice")
    book.request("p1", "Mallory")  # changed after the host looked
    with pytest.raises(AudienceError) as err:
        book.approve("p1", "Alice")
    assert err.value.code == "name_changed"
    assert book.name("p1") == generated and book.pending() == [("p1", "Mallory")]
    assert book.approve("p1", "Mallory") == "Mallory"


def test_names_are_unique_case_insensitively_and_freed_when_given_up() -> None:
    book = Nicknames(random.Random(2))
    book.request("p1", "Alice")
    with pytest.raises(InvalidName) as err:
        book.request("p2", "ALICE")
    assert err.value.code == "taken"
    with pytest.raises(InvalidName):
        book.request("p2", book.name("p1", "en").lower())  # another phone's generated name
    book.approve("p1", "Alice")
    book.request("p1", "alice")  # a case change of its own name
    book.reject("p1")
    with pytest.raises(InvalidName):
        book.request("p2", "Alice")  # still p1's approved name
    book.request("p1", "Bob")
    book.approve("p1", "Bob")
    assert book.request("p2", "Alice") == "Alice"  # p1 gave it up


def test_request_for_the_current_name_is_a_no_op() -> None:
    book = Nicknames(random.Random(3))
    assert book.request("p1", book.name("p1")) == book.name("p1")
    assert book.pending() == []


def test_bad_phone_ids_are_refused() -> None:
    book = Nicknames(random.Random(3))
    for phone in ("", "a b", "x" * 65, "tab\t", None):
        with pytest.raises(AudienceError) as err:
            book.issue(phone)  # type: ignore[arg-type]
        assert err.value.code == "bad_phone"
    assert len(book) == 0


@settings(max_examples=30, deadline=None)
@given(
    ops=st.lists(
        st.tuples(
            st.sampled_from(["request", "approve", "reject"]),
            st.sampled_from(["p1", "p2", "p3"]),
            st.sampled_from(["Ann", "ann", "Bo", "反诈", " ", "x" * 20]),
        ),
        max_size=25,
    )
)
def test_book_round_trips_and_keeps_names_unique(ops: list[tuple[str, str, str]]) -> None:
    book = Nicknames(random.Random(9))
    for op, phone, name in ops:
        try:
            if op == "request":
                book.request(phone, name)
            elif op == "approve":
                book.approve(phone, name)
            else:
                book.reject(phone)
        except AudienceError:
            pass
    shown = [book.name(p).casefold() for p in ("p1", "p2", "p3")]
    own = [book.own_name(p).casefold() for p in ("p1", "p2", "p3")]
    assert len(set(shown)) == 3 and len(set(own)) == 3
    restored = Nicknames.from_dict(json.loads(json.dumps(book.to_dict())))
    assert restored.to_dict() == book.to_dict()
    for p in ("p1", "p2", "p3"):
        assert restored.name(p) == book.name(p) and restored.own_name(p) == book.own_name(p)


def test_restoring_refuses_duplicates_and_dirty_names() -> None:
    book = Nicknames(random.Random(4))
    book.issue("p1")
    book.issue("p2")
    data = book.to_dict()
    data["phones"][1]["handle"] = data["phones"][0]["handle"]
    with pytest.raises(ValueError):
        Nicknames.from_dict(data)
    data = book.to_dict()
    data["phones"][0]["approved"] = "evil\u202e"
    with pytest.raises(ValueError):
        Nicknames.from_dict(data)
    data = book.to_dict()
    data["phones"][0]["approved"] = data["phones"][1]["pending"] = "Same"
    with pytest.raises(ValueError):
        Nicknames.from_dict(data)
    data = book.to_dict()
    data["phones"][0]["handle"] = len(PREFIXES) * NUMBERS
    with pytest.raises(ValueError):
        Nicknames.from_dict(data)
