"""Option order of drawn questions: reproducible per event and question, the key follows its
option, pinned questions keep their order, the letters balanced over many events; and the
live view of a shown id (``"123~CADB"``)."""

from __future__ import annotations

from collections import Counter

from quiz.bank.cues import letter_balance, shuffled_keys
from quiz.bank.shuffle import (
    is_order,
    option_order,
    shown_answer,
    shown_content,
    shown_id,
    shown_options,
    split_id,
)
from quiz.bank.validate import load_bank
from quiz.live.questions import QuestionView, resolve_shown


def test_the_same_event_and_question_always_give_the_same_order() -> None:
    assert option_order("event-7", "AF-001", 4) == option_order("event-7", "AF-001", 4)
    orders = {option_order(f"event-{n}", "AF-001", 4) for n in range(200)}
    assert len(orders) == 24  # every order of four options occurs
    assert all(is_order(order, 4) for order in orders)
    # Another question in the same event is shuffled on its own.
    assert [option_order("e", f"AF-{n:03d}", 4) for n in range(20)] != [
        option_order("e", "AF-000", 4)
    ] * 20


def test_the_key_follows_its_option() -> None:
    options = ["正常办案流程", "电信网络诈骗", "系统升级", "银行通知"]
    order = "CADB"
    shown = shown_options(options, order)
    assert shown == ["系统升级", "正常办案流程", "银行通知", "电信网络诈骗"]
    (key,) = shown_answer(["B"], order)
    assert shown["ABCD".index(key)] == "电信网络诈骗"
    assert shown_answer(["A", "C"], order) == ("A", "B")
    content = {"options": [{"zh": o} for o in options], "answer": ["B", "D"], "type": "multiple"}
    again = shown_content(content, order)
    assert [o["zh"] for o in again["options"]] == shown and again["answer"] == ["C", "D"]
    assert shown_content(content, "CAB") is content  # not an order of these options


def test_shown_ids_carry_the_order() -> None:
    assert shown_id("123", "CADB") == "123~CADB" and split_id("123~CADB") == ("123", "CADB")
    assert shown_id("123", "ABCD") == "123" and split_id("123") == ("123", None)


def test_key_letters_over_a_thousand_events_are_uniform() -> None:
    # The criterion on the shipped bank: within ±10 % of uniform, multiple and single.
    questions = load_bank().questions
    for kind in ("multiple", "single"):
        chosen = [q for q in questions if q.type == kind]
        balance = letter_balance(shuffled_keys(chosen, 1000))
        assert balance.worst <= 0.10, (kind, {k: balance.deviation(k) for k in balance.letters})
    truefalse = [q for q in questions if q.type == "truefalse"]
    keys = Counter(k for keys, _n in shuffled_keys(truefalse, 5) for k in keys)
    written = Counter(q.answer_letters[0] for q in truefalse)
    assert keys == {letter: 5 * count for letter, count in written.items()}  # pinned


VIEW = QuestionView(
    id="123",
    code="AF-001",
    kind="single",
    prompt={"zh": "题干", "en": "Prompt"},
    options=tuple({"key": k, "zh": k.lower(), "en": k.lower()} for k in "ABCD"),
    answer=("B",),
    shuffle=True,
)


def test_a_drawn_view_and_its_shown_id_agree() -> None:
    drawn = VIEW.drawn("event-1")
    order = option_order("event-1", "AF-001", 4)
    assert drawn.id == shown_id("123", order)
    assert [o["key"] for o in drawn.options] == list("ABCD")
    assert [o["zh"] for o in drawn.options] == [k.lower() for k in order]
    assert drawn.answer == shown_answer(["B"], order)
    assert resolve_shown(drawn.id, {"123": VIEW}.get) == drawn
    assert resolve_shown("123", {"123": VIEW}.get) == VIEW


def test_bad_or_pinned_orders_find_nothing() -> None:
    base = {"123": VIEW}.get
    assert resolve_shown("123~CAB", base) is None  # three letters for four options
    assert resolve_shown("123~AABC", base) is None
    assert resolve_shown("999~BADC", base) is None
    pinned = {"123": QuestionView(**{**VIEW.__dict__, "shuffle": False})}.get
    assert resolve_shown("123~BADC", pinned) is None
    assert VIEW.__class__(**{**VIEW.__dict__, "shuffle": False}).drawn("e").id == "123"
