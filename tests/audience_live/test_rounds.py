"""Audience play-along during a match, in process (Flask-SocketIO test clients, a hand-moved
clock): nicknames, when a round opens and closes, what each answer gets back, the published
result, each phone's verdict and rank, and what never leaks before the question is closed."""

from __future__ import annotations

import re
from collections.abc import Callable

from quiz.audience import speed_points
from quiz.live.questions import MemoryQuestionSource
from tests.audience_live.conftest import (
    TC,
    Live,
    answer,
    judge_by_red,
    leaks,
    open_buzzing,
    open_round,
    phones,
    show,
)

GENERATED = re.compile(r"^[\u4e00-\u9fff]{4,5}-\d{4}$")


def test_a_phone_without_a_seat_gets_a_nickname_it_keeps(connect: Callable[..., TC]) -> None:
    first = connect("player", device="phone-alpha-1")
    you = first.last("audience_you")
    assert GENERATED.match(you["nickname"]["zh"]), you
    assert you["nickname"]["en"].split("-")[1] == you["nickname"]["zh"].split("-")[1]
    assert you["pending"] is None and you["score"] is None
    first.client.disconnect()
    again = connect("player", device="phone-alpha-1")
    assert again.last("audience_you")["nickname"] == you["nickname"]
    other = connect("player", device="phone-beta-22")
    assert other.last("audience_you")["nickname"] != you["nickname"]


def test_the_round_opens_with_the_question_and_keeps_the_key(
    live: Live, questions: MemoryQuestionSource
) -> None:
    show(live, "501")
    question = questions.get("501")
    assert question is not None
    for viewer in (live.audience, live.display):
        view = open_round(viewer)
        assert view["question"]["id"] == "501"
        assert [o["key"] for o in view["question"]["options"]] == list("ABCD")
        assert view["result"] is None
    # The host's audience panel has the key; nobody else has it anywhere.
    assert live.host.last("audience_admin")["round"]["key"] == ["B"]
    assert answer(live.audience, ["A"])["ok"]
    live.tick(100)
    for viewer in (live.audience, live.display, live.red):
        for name in ("audience_round", "audience", "audience_screen", "audience_you", "state"):
            for message in viewer.all(name):
                assert leaks(message, question) == [], (name, message)
    judge_by_red(live, ["B"])
    result = live.audience.last("audience_round")["result"]
    assert result["key"] == ["B"] and result["explanation"]["zh"] == "解析1"


def test_every_answer_is_acknowledged_once_and_refused_with_a_reason(live: Live) -> None:
    show(live, "501")
    ref = open_round(live.audience)["round"]
    ack = answer(live.audience, ["A"])
    assert ack["ok"] and ack["verdict"] == "accepted" and ack["choices"] == ["A"]
    again = answer(live.audience, ["A"])
    assert again["ok"] and again["verdict"] == "unchanged"  # a resend is not an error
    assert answer(live.audience, ["C"])["error"]["code"] == "duplicate"
    assert answer(live.audience, ["E"])["error"]["code"] == "invalid"
    assert answer(live.audience, ["A", "C"])["error"]["code"] == "invalid"  # single choice
    assert live.audience.command("answer", round="r999", choices=["A"])["error"]["code"] == (
        "no_round"
    )
    judge_by_red(live, ["B"])
    closed = live.audience.command("answer", round=ref, choices=["A"])
    assert closed["error"]["code"] == "closed"
    # The phone's answer is what was counted: the first one.
    assert live.audience.last("audience_you")["outcome"]["choices"] == ["A"]


def test_contestants_the_display_and_the_host_cannot_answer(live: Live) -> None:
    show(live, "501")
    ref = open_round(live.audience)["round"]
    for client in (live.red, live.display, live.host):
        ack = client.command("answer", round=ref, choices=["B"])
        assert ack["error"]["code"] == "forbidden", ack
    assert live.audience.command("prepare_draw", prize="x", count=1)["error"]["code"] == (
        "forbidden"
    )


def test_changing_an_answer_when_the_host_allows_it(live: Live) -> None:
    assert live.host.command("audience_settings", allow_change=True)["ok"]
    show(live, "502")  # key C
    assert answer(live.audience, ["A"])["verdict"] == "accepted"
    assert answer(live.audience, ["C"])["verdict"] == "changed"
    judge_by_red(live, ["C"])
    result = live.display.last("audience_round")["result"]
    assert result["distribution"] == {"A": 0, "B": 0, "C": 1, "D": 0}
    assert live.audience.last("audience_you")["outcome"]["correct"] is True


def test_the_result_verdicts_and_ranks_after_judging(
    live: Live, connect: Callable[..., TC]
) -> None:
    crowd = phones(connect, 4)
    show(live, "503")  # key D
    picks = ["D", "D", "A", "D"]
    for i, (phone, pick) in enumerate(zip(crowd, picks, strict=True)):
        live.clock.advance(100 * (i + 1))
        assert answer(phone, [pick])["ok"]
    live.tick(200)
    count = live.display.last("audience")
    assert count["count"] == 4 and count["open"] and count["tally"] is None
    judge_by_red(live, ["D"])

    view = live.display.last("audience_round")
    assert view["status"] == "closed"
    result = view["result"]
    assert (result["answered"], result["correct"]) == (4, 3)
    assert result["share_correct"] == 0.75
    assert result["key"] == ["D"]
    assert result["distribution"] == {"A": 1, "B": 0, "C": 0, "D": 3}
    assert result["explanation"]["zh"] == "解析3"
    names = [p.last("audience_you")["shown"] for p in crowd]
    assert [f["name"] for f in result["fastest"]] == [names[0], names[1], names[3]]
    assert live.display.last("audience")["tally"] == {"A": 1, "D": 3}

    for phone, pick in zip(crowd, picks, strict=True):
        you = phone.last("audience_you")
        assert you["outcome"]["correct"] is (pick == "D")
        assert you["score"]["correct"] == (1 if pick == "D" else 0)
        assert you["score"]["rank"] == (1 if pick == "D" else 4)
        assert you["score"]["of"] == 4
    # The wall stays on the match's verdict until the host shows the audience's result.
    assert live.display.last("audience_screen")["screen"] == "match"
    assert live.host.command("audience_screen", screen="result")["ok"]
    board = live.display.last("audience_screen")
    assert board["screen"] == "result" and board["show_after_ms"] == 0
    assert [r["rank"] for r in board["leaderboard"]["rows"]] == [1, 1, 1, 4]


def test_the_audience_timer_refuses_late_answers_but_waits_for_judging(live: Live) -> None:
    assert live.host.command("audience_settings", timer_ms=5000)["ok"]
    show(live, "504")  # key A
    assert answer(live.audience, ["A"])["ok"]
    open_buzzing(live)
    live.clock.advance(5001)
    assert answer(live.audience, ["B"])["error"]["code"] == "late"
    live.tick()
    count = live.display.last("audience")
    assert count["open"] is False and count["tally"] is None  # closed to answers, not published
    assert live.display.last("audience_round")["status"] == "open"
    judge_by_red(live, ["A"], opened=True)
    assert live.display.last("audience_round")["result"]["correct"] == 1


def test_phones_get_a_count_only_when_their_round_is_closed(
    live: Live, connect: Callable[..., TC]
) -> None:
    """A phone learns that a round is open from the round itself; a count reaches it only
    when the round's time is up (and on connect while the round stays closed)."""
    assert live.host.command("audience_settings", timer_ms=5000)["ok"]
    (early,) = phones(connect, 1, "early-count")
    early.clear()
    show(live, "504")
    assert early.last("audience_round")["status"] == "open"
    assert early.all("audience") == []
    assert live.display.last("audience")["open"] is True
    open_buzzing(live)
    live.clock.advance(5001)
    live.tick()
    assert [c["open"] for c in early.all("audience")] == [False]
    (late,) = phones(connect, 1, "late-count")
    assert late.last("audience")["open"] is False


def test_late_answers_are_refused_as_late(live: Live, connect: Callable[..., TC]) -> None:
    assert live.host.command("audience_settings", timer_ms=5000)["ok"]
    show(live, "504")
    (phone,) = phones(connect, 1, "late")
    open_buzzing(live)
    live.clock.advance(5001)
    assert answer(phone, ["A"])["error"]["code"] == "late"


def test_the_audience_timer_starts_when_buzzing_opens(
    live: Live, connect: Callable[..., TC]
) -> None:
    """The host's reading never eats into the audience's time: it runs from the opening of
    buzzing, and the phones are told the deadline then."""
    assert live.host.command("audience_settings", timer_ms=5000)["ok"]
    (slow,) = phones(connect, 1, "slow")
    show(live, "504")  # key A
    shown_at = open_round(live.audience)["opened_at"]
    assert open_round(live.audience)["deadline"] is None
    live.clock.advance(30_000)  # a long reading
    live.tick()
    assert live.display.last("audience")["open"] is True
    open_buzzing(live)
    opened = open_round(live.audience)
    assert opened["deadline"] == shown_at + 30_000 + 5000
    live.clock.advance(4000)
    assert answer(live.audience, ["A"])["ok"]
    live.clock.advance(1001)
    assert answer(slow, ["A"])["error"]["code"] == "late"


def test_speed_scoring(live: Live, connect: Callable[..., TC]) -> None:
    assert live.host.command("audience_settings", scoring="speed", timer_ms=10_000)["ok"]
    fast, slow = phones(connect, 2, "speed")
    show(live, "501")  # key B
    open_buzzing(live)  # the timer runs from here (no reading time in this one)
    live.clock.advance(2000)
    assert answer(fast, ["B"])["ok"]
    live.clock.advance(5000)
    assert answer(slow, ["B"])["ok"]
    judge_by_red(live, ["B"], opened=True)
    assert fast.last("audience_you")["outcome"]["points"] == speed_points(2000, 10_000) == 900
    assert slow.last("audience_you")["outcome"]["points"] == speed_points(7000, 10_000) == 650
    assert live.host.command("audience_screen", screen="leaderboard")["ok"]
    rows = live.display.last("audience_screen")["leaderboard"]["rows"]
    assert [r["points"] for r in rows] == [900, 650]


def test_a_voided_question_is_published_and_an_undone_one_is_dropped(live: Live) -> None:
    show(live, "501")
    assert answer(live.audience, ["B"])["ok"]
    assert live.host.host("void")["ok"]
    assert live.display.last("audience_round")["status"] == "closed"
    assert live.audience.last("audience_you")["score"]["correct"] == 1

    show(live, "502")
    ref = open_round(live.audience)["round"]
    assert answer(live.audience, ["C"])["ok"]
    assert live.host.host("undo")["ok"]  # the question is taken back
    assert live.display.last("audience_round")["status"] == "cancelled"
    assert live.audience.command("answer", round=ref, choices=["C"])["error"]["code"] == (
        "no_round"
    )
    assert live.hub.audience.audience.ledger.rounds == {"r1": f"match-{live.match_id}"}


def test_an_undo_out_of_the_result_does_not_count_the_question_twice(live: Live) -> None:
    show(live, "900")  # open question: the host judges
    show_choice = live.host.host("undo")
    assert show_choice["ok"]
    show(live, "501")
    assert answer(live.audience, ["B"])["ok"]
    assert live.host.host("open_buzzing")["ok"]
    assert live.red.command("buzz", press_at=None)["ok"]
    assert live.host.host("judge", correct=True)["ok"]
    assert live.display.last("audience_round")["status"] == "closed"
    assert live.host.host("undo")["ok"]
    assert live.host.last()["match"]["phase"] == "answering"
    assert live.host.host("judge", correct=True)["ok"]
    assert len(live.hub.audience.audience.ledger.rounds) == 1
    assert live.audience.last("audience_you")["score"]["answered"] == 1


def test_open_questions_are_not_put_to_the_audience(live: Live) -> None:
    show(live, "900")
    assert live.audience.last("audience_round") is None
    assert live.audience.command("answer", choices=["A"])["error"]["code"] == "no_round"


def test_multiple_choice_takes_a_set(live: Live, connect: Callable[..., TC]) -> None:
    right, partial = phones(connect, 2, "multi")
    show(live, "520")  # key A, C
    assert open_round(right)["multiple"] is True
    assert answer(right, ["C", "A"])["choices"] == ["A", "C"]
    assert answer(partial, ["A"])["ok"]
    assert live.host.host("open_buzzing")["ok"]
    assert live.red.command("buzz", press_at=None)["ok"]
    assert live.red.command("choice", choices=["A", "C"])["ok"]
    assert right.last("audience_you")["outcome"]["correct"] is True
    assert partial.last("audience_you")["outcome"]["correct"] is False


def test_counts_reach_the_host_and_led_at_most_ten_times_a_second(
    live: Live, connect: Callable[..., TC]
) -> None:
    crowd = phones(connect, 30, "count")
    show(live, "501")
    ref = open_round(live.display)["round"]
    for c in (live.display, live.host, *crowd):
        c.clear()
    for phone in crowd:
        assert answer(phone, ["B"], ref)["ok"]
    # Nothing is sent per answer: not to the LED, not to the other phones.
    assert live.display.all("audience") == []
    assert all(c.all("audience") == [] for c in crowd)
    live.tick(50)
    live.tick(50)  # within 100 ms of the last count: nothing new
    live.tick(0)
    counts = live.display.all("audience")
    assert [c["count"] for c in counts] == [30]
    live.tick(100)
    assert len(live.display.all("audience")) == 1  # nothing changed since


def test_answers_are_stored_with_their_verdicts(live: Live, connect: Callable[..., TC]) -> None:
    from sqlalchemy import select

    from quiz.models.audience import AudienceAnswer, AudienceQuestion

    crowd = phones(connect, 3, "stored")
    show(live, "501")
    for phone, pick in zip(crowd, ["B", "A", "B"], strict=True):
        assert answer(phone, [pick])["ok"]
        # Acknowledged means committed: the row is there before the next phone answers.
    with live.hub.sessions() as session:
        rows = session.scalars(select(AudienceAnswer).order_by(AudienceAnswer.seq)).all()
        assert [(r.choices, r.seq, r.correct) for r in rows] == [
            (["B"], 1, None),
            (["A"], 2, None),
            (["B"], 3, None),
        ]
    judge_by_red(live, ["B"])
    with live.hub.sessions() as session:
        rows = session.scalars(select(AudienceAnswer).order_by(AudienceAnswer.seq)).all()
        assert [(r.correct, r.points) for r in rows] == [(True, 1), (False, 0), (True, 1)]
        stored = session.scalars(select(AudienceQuestion)).one()
        assert stored.status == "closed" and stored.summary["correct"] == 2
        assert stored.stage == f"match-{live.match_id}" and stored.match_id == live.match_id


def test_bad_answers_are_refused_and_change_nothing(live: Live) -> None:
    show(live, "501")
    ref = open_round(live.audience)["round"]
    bad = [
        {"round": ref},
        {"round": ref, "choices": "B"},
        {"round": ref, "choices": []},
        {"round": ref, "choices": [1]},
        {"round": ref, "choices": ["B"], "side": "red"},
        {"round": 12, "choices": ["B"]},
        {"round": ref, "choices": ["B"] * 27},
    ]
    for args in bad:
        ack = live.audience.command("answer", **args)
        assert ack["error"]["code"] == "invalid", (args, ack)
    assert (
        live.hub.audience.audience.current is not None
        and live.hub.audience.audience.current.tally.answered == 0
    )
    assert answer(live.audience, ["B"])["ok"]
