"""Builders shared by the audience tests: a ledger filled from real judged questions."""

from __future__ import annotations

from collections.abc import Mapping

from quiz.audience import Ledger, Scoring, Tally


def judged(
    ledger: Ledger,
    round_id: str,
    stage: str,
    answers: Mapping[str, str],
    key: str = "A",
    scoring: Scoring = Scoring.COUNT,
) -> None:
    """Ask one question, take ``answers`` (phone -> option, one ms apart), judge, count."""
    q = Tally(round_id, ("A", "B", "C", "D"), {key}, 0, 10_000, scoring=scoring)
    for t, (phone, choice) in enumerate(answers.items()):
        q.answer(phone, choice, t)
    ledger.add(q.close(10_000), stage)


def ledger_from(table: Mapping[str, Mapping[str, int]], stages: int = 3) -> Ledger:
    """A ledger where ``table[phone][stage]`` questions of that stage were answered right
    (then one wrong answer each, so that everyone has answered)."""
    ledger = Ledger()
    for s in range(stages):
        stage = f"s{s}"
        most = max((row.get(stage, 0) for row in table.values()), default=0)
        for k in range(most):
            right = {p: "A" for p, row in table.items() if row.get(stage, 0) > k}
            judged(ledger, f"{stage}-q{k}", stage, right)
    judged(ledger, "wrong", "s0", dict.fromkeys(table, "B"))
    return ledger
