"""Cost of ``Match.apply()`` per command type: the engine must never be the bottleneck."""

from __future__ import annotations

import time

from bench.common import Section, summary
from quiz.engine import Match, MatchRules, Side
from quiz.engine import commands as C


def _one_match(samples: dict[str, list[float]], rules: MatchRules) -> None:
    m = Match(rules)
    m.apply(C.BindDevice(Side.RED, "r"), 0)
    m.apply(C.BindDevice(Side.BLUE, "b"), 0)
    t = 1
    q = 0
    while m.outcome is None:
        q += 1
        first, second = ("b", "r") if q % 3 else ("r", "b")
        opened = t + 100
        script: list[tuple[C.Command, int]] = [
            (C.ShowQuestion(f"Q{q}", "choice", ("B",), 4), t + 50),
            (C.OpenBuzzing(), opened),
            (C.Buzz(first, press_at=opened + 20, uncertainty_ms=2), opened + 40),
            (C.Buzz(second, press_at=opened + 50, uncertainty_ms=2), opened + 60),
            (C.Tick(), opened + 300),
            (C.SubmitChoice(first, ("B",) if q % 2 else ("A",)), opened + 2000),
            (C.Judge(correct=True), opened + 3000),
        ]
        for command, at in script:
            if isinstance(command, C.Judge) and m.phase.value != "answering":
                continue
            start = time.perf_counter_ns()
            m.apply(command, at)
            samples.setdefault(type(command).__name__, []).append(
                (time.perf_counter_ns() - start) / 1000
            )
        t = opened + 4000
    # Replay cost of the whole log (what crash recovery pays per match).
    start = time.perf_counter_ns()
    Match.replay(rules, m.log)
    samples.setdefault("replay(whole match)", []).append((time.perf_counter_ns() - start) / 1000)


def run(matches: int = 300) -> Section:
    samples: dict[str, list[float]] = {}
    for i in range(matches):
        rules = MatchRules(commit_window_ms=100 if i % 2 else 0)
        _one_match(samples, rules)
    rows = ["| command | n | p50 µs | p99 µs | max µs |", "| --- | --- | --- | --- | --- |"]
    for name, values in sorted(samples.items()):
        s = summary(values)
        rows.append(f"| {name} | {s['n']:.0f} | {s['p50']:.1f} | {s['p99']:.1f} | {s['max']:.1f} |")
    body = (
        f"{matches} complete best-of-five matches (half with a 100 ms commit window), every "
        "command timed with `perf_counter_ns` around `Match.apply()`.\n\n" + "\n".join(rows)
    )
    return Section("Engine: cost of apply() per command", body)


if __name__ == "__main__":
    print(run().body)
