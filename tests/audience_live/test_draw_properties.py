"""Property tests of prize draws as the host runs them in the live server: over any scores and
any sequence of draws, only eligible phones win, a phone wins at most once per draw (unless
repeats are allowed) and never again when earlier winners are left out, and every draw comes
back unchanged from the database."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quiz.audience import Tally
from quiz.live.hub import LiveHub
from quiz.live.protocol import ProtocolError, validate_args
from quiz.live.routes import ROUTES
from quiz.models.live import QuizEvent

STAGES = ("match-1", "quiz-1")
PHONES = [f"prop-phone-{i:02}" for i in range(12)]

scores = st.dictionaries(
    st.sampled_from(PHONES),
    st.tuples(st.integers(0, 3), st.integers(0, 3)),  # correct answers in each stage
    min_size=1,
    max_size=len(PHONES),
)
draw_args = st.fixed_dictionaries(
    {
        "count": st.integers(1, 8),
        "min_correct": st.integers(0, 4),
        "stage": st.sampled_from((None, *STAGES)),
        "allow_repeat": st.booleans(),
        "exclude_winners": st.booleans(),
    }
)


def _fill(hub: LiveHub, table: dict[str, tuple[int, int]]) -> None:
    """A fresh event whose ledger holds ``table``: one round per stage and answer index, each
    phone right on its first ``n`` rounds of a stage and wrong on the rest."""
    with hub.sessions.begin() as session:
        event = QuizEvent(title="prop", lang="zh-CN")
        session.add(event)
        session.flush()
        event_id = event.id
    desk = hub.audience
    desk.load(event_id)
    for phone in table:
        desk.audience.nicknames.issue(phone)
    for s, stage in enumerate(STAGES):
        for k in range(3):
            tally = Tally(f"{stage}-{k}", ("A", "B"), {"A"}, 0, 10_000)
            for phone, correct in table.items():
                tally.answer(phone, "A" if correct[s] > k else "B", k)
            desk.audience.ledger.add(tally.close(10_000), stage)


def _host(hub: LiveHub, type: str, **args: Any) -> dict[str, Any]:
    route = ROUTES[type]
    assert route.model is not None
    return route.handler(hub.audience, validate_args(route.model, args))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(table=scores, plan=st.lists(draw_args, min_size=1, max_size=3))
def test_draws_over_any_scores(
    hub: LiveHub, table: dict[str, tuple[int, int]], plan: list[dict[str, Any]]
) -> None:
    _fill(hub, table)
    desk = hub.audience
    phone_of = {desk.audience.nicknames.name(p, "zh"): p for p in table}
    won: set[str] = set()
    for args in plan:
        stage_index = None if args["stage"] is None else STAGES.index(args["stage"])
        expected = {
            p
            for p, correct in table.items()
            if (sum(correct) if stage_index is None else correct[stage_index])
            >= args["min_correct"]
        }
        if args["exclude_winners"]:
            expected -= won
        try:
            prepared = _host(hub, "prepare_draw", prize="奖品", **args)
        except ProtocolError as exc:
            assert exc.code == "no_eligible" and not expected
            continue
        assert prepared["eligible"] == len(expected)
        ran = _host(hub, "run_draw", draw=prepared["draw"])
        winners = [phone_of[w["nickname"]] for w in ran["winners"]]
        assert set(winners) <= expected
        if args["allow_repeat"]:
            assert len(winners) == args["count"]
        else:
            assert len(winners) == len(set(winners)) == min(args["count"], len(expected))
        codes = [w["claim_code"] for w in ran["winners"]]
        assert len(set(codes)) == len(codes)
        won |= set(winners)
    stored = [d.to_dict() for d in desk.audience.draws.values()]
    desk.load(desk.audience.event_id or 0)
    assert [d.to_dict() for d in desk.audience.draws.values()] == stored
    assert all(d.verify() == [] for d in desk.audience.draws.values())
