"""Audience play-along at scale: 2,000 audience phones answer the question on screen within
10 s, on ``quiz serve`` (gevent), 127.0.0.1.

The driver holds the host, the LED display and both contestant phones
(:mod:`bench.driver`); the audience phones are a :class:`bench.swarm.Swarm` whose worker
processes also answer (:class:`_AnswerWorker`). Measured, per run: every phone's answer
acknowledged (the ack only comes once the answer is committed), the server's count exact,
ack latency, the time from the close (the contestant's answer that concludes the question)
until the LED holds the audience result, and until every phone holds its own verdict and rank.
"""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing
import os
import time
from typing import Any

from bench import driver
from bench.common import Section, percentile
from bench.servers import Usage, prioritise, raise_fd_limit, start_quiz, workdir
from bench.swarm import Swarm, _Worker

PHONES = int(os.environ.get("BENCH_AUDIENCE_PHONES", "2000"))
WORKERS = 4
ANSWER_WINDOW_S = 10.0
RIGHT_PERCENT = 70  # phones whose answer is right (by their index in the swarm)
# Red wins every question: a best-of-five match has three of them.
RUNS = min(3, int(os.environ.get("BENCH_AUDIENCE_RUNS", "3")))
AUDIENCE_TIMER_MS = 30_000
ACK_TIMEOUT_S = 30.0
RESULT_TIMEOUT_S = 10.0
TARGET_RESULT_MS = 1000.0
TARGET_ANSWER_WINDOW_S = ANSWER_WINDOW_S
_ids = itertools.count(1)


# --- the answering swarm (worker processes) -------------------------------------------------


class _AnswerWorker(_Worker):
    """A swarm worker whose phones also answer and note when their verdict arrives."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.verdicts: dict[str, dict[str, int]] = {}  # device -> round -> receive ns

    async def connect(self, **args: Any) -> dict[str, Any]:
        before = len(self.phones)
        reply = await super().connect(**args)
        for phone in self.phones[before:]:
            phone.client.on("audience_you", self._you_handler(phone.device))
        return reply

    def _you_handler(self, device: str) -> Any:
        def on_you(data: Any) -> None:
            outcome = data.get("outcome") if isinstance(data, dict) else None
            if outcome:
                self.verdicts.setdefault(device, {}).setdefault(
                    outcome["round"], time.monotonic_ns()
                )

        return on_you

    async def answer(
        self,
        round_id: str,
        right: str,
        wrong: str,
        start_ns: int,
        spread_s: float,
        first: int,
        total: int,
    ) -> dict[str, Any]:
        """Every phone answers once, at its slot of ``spread_s`` (slots are global: phone
        ``first + i`` of ``total``); returns (sent, acked) ns pairs, refusals and the number
        answered right."""
        acks: list[tuple[int, int]] = []
        errors: list[str] = []
        rights = 0

        async def one(slot: int, phone: Any) -> None:
            nonlocal rights
            at = start_ns + int(spread_s * 1e9 * slot / max(total, 1))
            delay = (at - time.monotonic_ns()) / 1e9
            if delay > 0:
                await asyncio.sleep(delay)
            is_right = slot % 100 < RIGHT_PERCENT
            payload = {
                "id": f"a{self.index}-{next(_ids)}",
                "type": "answer",
                "round": round_id,
                "choices": [right if is_right else wrong],
            }
            sent = time.monotonic_ns()
            try:
                ack = await phone.client.call("command", payload, timeout=ACK_TIMEOUT_S)
            except Exception as exc:  # a lost ack is a failure of the run, whatever its kind
                errors.append(f"{type(exc).__name__}: {str(exc)[:80]}")
                return
            done = time.monotonic_ns()
            if ack.get("ok"):
                acks.append((sent, done))
                rights += is_right
            else:
                errors.append(str(ack.get("error", {}).get("code")))

        await asyncio.gather(*(one(first + i, p) for i, p in enumerate(self.phones)))
        return {"acks": acks, "errors": errors, "right": rights}

    async def size(self) -> int:
        return len(self.phones)

    async def verdict_times(self, round_id: str, timeout_s: float) -> list[int | None]:
        """When each phone received its verdict for ``round_id`` (None: not within time)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if all(round_id in self.verdicts.get(p.device, {}) for p in self.phones):
                break
            await asyncio.sleep(0.02)
        return [self.verdicts.get(p.device, {}).get(round_id) for p in self.phones]


def _answer_worker(conn: Any, index: int) -> None:
    raise_fd_limit()
    # As bench.swarm's workers: back to normal priority, below the server and the driver.
    os.nice(-os.nice(0))
    asyncio.run(_serve(conn, index))


async def _serve(conn: Any, index: int) -> None:
    worker = _AnswerWorker(index)
    while True:
        op, args = await asyncio.to_thread(conn.recv)
        if op == "stop":
            await worker.disconnect(30)
            conn.send(None)
            return
        handler = getattr(worker, op, None)
        if op.startswith("_") or handler is None:
            conn.send({"error": f"unknown op {op}"})
            continue
        conn.send(await handler(**args))


class AnswerSwarm(Swarm):
    """:class:`bench.swarm.Swarm` with answering workers."""

    def __init__(self, workers: int) -> None:
        super().__init__(0)
        ctx = multiprocessing.get_context("spawn")
        for index in range(workers):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_answer_worker, args=(child, index), daemon=True)
            proc.start()
            child.close()
            self._conns.append(parent)
            self._procs.append(proc)

    async def sizes(self) -> list[int]:
        return [int(n) for n in await self._all([("size", {})] * len(self._conns), 30)]

    async def answer(
        self, round_id: str, right: str, wrong: str, spread_s: float
    ) -> dict[str, Any]:
        sizes = await self.sizes()
        start_ns = time.monotonic_ns() + 300_000_000
        firsts = list(itertools.accumulate([0, *sizes[:-1]]))
        total = sum(sizes)
        # Interleave the workers' slots so the load is even over the window.
        messages = [
            (
                "answer",
                {
                    "round_id": round_id,
                    "right": right,
                    "wrong": wrong,
                    "start_ns": start_ns,
                    "spread_s": spread_s,
                    "first": first,
                    "total": total,
                },
            )
            for first in firsts
        ]
        replies = await self._all(messages, spread_s + ACK_TIMEOUT_S + 30)
        out: dict[str, Any] = {"acks": [], "errors": [], "right": 0, "start_ns": start_ns}
        for reply in replies:
            out["acks"] += [tuple(a) for a in reply["acks"]]
            out["errors"] += reply["errors"]
            out["right"] += reply["right"]
        return out

    async def verdict_times(self, round_id: str, timeout_s: float) -> list[int | None]:
        replies = await self._all(
            [("verdict_times", {"round_id": round_id, "timeout_s": timeout_s})] * len(self._conns),
            timeout_s + 30,
        )
        return [t for reply in replies for t in reply]


# --- the driver -------------------------------------------------------------------------------


class Watch:
    """Receive times of the audience messages at one key client (the LED, the host)."""

    def __init__(self, key: driver.Key) -> None:
        self.rounds: list[tuple[int, dict[str, Any]]] = []
        self.counts: list[tuple[int, dict[str, Any]]] = []
        key.client.on("audience_round", lambda d: self.rounds.append((time.monotonic_ns(), d)))
        key.client.on("audience", lambda d: self.counts.append((time.monotonic_ns(), d)))

    async def round_where(self, predicate: Any, timeout: float) -> tuple[int, dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for at, data in self.rounds:
                if predicate(data):
                    return at, data
            await asyncio.sleep(0.002)
        raise TimeoutError(f"no matching audience_round; last {self.rounds[-1:]!s:.300}")


async def _choice_question(keys: driver.Keys) -> dict[str, Any]:
    """A new question with options on screen (the audience answers only those): its round
    opens now, with the audience timer set for the benchmark."""
    for _ in range(20):
        if (keys.host.last or {})["match"]["phase"] not in ("ready", "result"):
            await keys.settle(await keys.host.host("void"))
        await keys.settle(await keys.host.host("show_question"))
        question = (keys.host.last or {})["match"]["question"]
        if question and question.get("options"):
            return dict(question)
    raise RuntimeError("no choice question in 20 draws")


async def _one_round(
    keys: driver.Keys, swarm: AnswerSwarm, led: Watch, usage: Usage
) -> dict[str, Any]:
    question = await _choice_question(keys)
    right = question["answer"][0]
    wrong = next(o["key"] for o in question["options"] if o["key"] != right)
    _at, opened = await led.round_where(
        lambda r: r["question"]["id"] == question["id"] and r["status"] == "open", 10
    )
    round_id = opened["round"]
    usage.start()
    answered = await swarm.answer(round_id, right, wrong, ANSWER_WINDOW_S)
    cpu = usage.cpu_percent()
    acks = answered["acks"]
    last_ack = max((done for _s, done in acks), default=time.monotonic_ns())
    # The LED's count, sent at most ten times a second, must reach every answer.
    count_at = None
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and count_at is None:
        for at, c in led.counts:
            if c.get("round") == round_id and c.get("count") == len(acks):
                count_at = at
                break
        await asyncio.sleep(0.005)
    # Close: the red phone buzzes and answers right; the question is concluded.
    seq = await keys.host.host("open_buzzing")
    await keys.red.time_of(seq)
    await keys.red.command("buzz", press_at=None)
    await keys.red.command("choice", choices=[right])
    closed_ns = keys.red.sent_ns
    result_at, result = await led.round_where(
        lambda r: r["round"] == round_id and r["status"] == "closed", RESULT_TIMEOUT_S
    )
    verdicts = await swarm.verdict_times(round_id, 30)
    got = sorted((t - closed_ns) / 1e6 for t in verdicts if t is not None)
    latencies = [(done - sent) / 1e6 for sent, done in acks]
    return {
        "phones": len(verdicts),
        "acked": len(acks),
        "errors": answered["errors"],
        "right": answered["right"],
        "answered": result["result"]["answered"],
        "correct": result["result"]["correct"],
        "ack_p50": percentile(latencies, 50) if latencies else float("nan"),
        "ack_p95": percentile(latencies, 95) if latencies else float("nan"),
        "ack_p99": percentile(latencies, 99) if latencies else float("nan"),
        "ack_max": max(latencies) if latencies else float("nan"),
        "window_s": (last_ack - answered["start_ns"]) / 1e9,
        "count_lag_ms": (count_at - last_ack) / 1e6 if count_at else float("nan"),
        "result_ms": (result_at - closed_ns) / 1e6,
        "verdict_p50": percentile(got, 50) if got else float("nan"),
        "verdict_p100": got[-1] if len(got) == len(verdicts) else float("inf"),
        "cpu": cpu,
    }


async def _run_all() -> tuple[list[dict[str, Any]], list[str]]:
    folder = workdir("audience")
    server = start_quiz("gevent", folder)
    swarm = AnswerSwarm(WORKERS)
    keys: driver.Keys | None = None
    problems: list[str] = []
    rounds: list[dict[str, Any]] = []
    try:
        keys = await driver.setup_quiz(server.url, server.token)
        led = Watch(keys.display)
        report = await swarm.connect(server.url, PHONES, timeout_s=180)
        if report.errors:
            problems.append(f"{len(report.errors)} phones did not join, e.g. {report.errors[0]}")
        await asyncio.sleep(2.0)
        await keys.host.command("audience_settings", timer_ms=AUDIENCE_TIMER_MS)
        usage = Usage(server.pid)
        for _ in range(RUNS):
            rounds.append(await _one_round(keys, swarm, led, usage))
    except Exception as exc:  # reported in the section, not raised: other benchmarks go on
        problems.append(f"{type(exc).__name__}: {exc}"[:400])
    finally:
        if keys is not None:
            await keys.close()
        await swarm.close()
        server.stop()
    return rounds, problems


def _f(value: float, digits: int = 0) -> str:
    if value != value:
        return "–"
    if value == float("inf"):
        return "∞"
    return f"{value:,.{digits}f}"


def run() -> Section:
    raise_fd_limit()
    prioritise()
    rounds, problems = asyncio.run(_run_all())
    lines = [
        f"{PHONES:,} audience phones (python-socketio `AsyncClient`s in {WORKERS} worker "
        "processes, WebSocket, 127.0.0.1) answer the question on screen, spread evenly over "
        f"{ANSWER_WINDOW_S:.0f} s, {RIGHT_PERCENT} % of them right; `quiz serve` (gevent, "
        "SQLite). An answer is acknowledged only after it is committed (answers are written "
        'in batches of at most 50 ms or 500 answers). "Close → LED result" runs from the '
        "contestant's answer that concludes the question (the moment the audience round "
        'closes) until the LED display holds the audience result; "verdicts" until 50 % '
        "and 100 % of the phones hold their own verdict and rank. One row per question.",
        "",
        "| question | phones | acknowledged | refused | counted (LED) | right | ack p50 / p95 "
        "/ p99 / max (ms) | last ack after (s) | LED count lag (ms) | close → LED result (ms) "
        "| verdicts 50 % / 100 % (ms) | server CPU while answering |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(rounds, start=1):
        lines.append(
            f"| {i} | {r['phones']:,} | {r['acked']:,} | {len(r['errors'])} | "
            f"{r['answered']:,} | {r['correct']:,} (sent {r['right']:,}) | "
            f"{_f(r['ack_p50'], 1)} / {_f(r['ack_p95'], 1)} / {_f(r['ack_p99'], 1)} / "
            f"{_f(r['ack_max'], 1)} | {_f(r['window_s'], 2)} | {_f(r['count_lag_ms'])} | "
            f"{_f(r['result_ms'], 1)} | {_f(r['verdict_p50'])} / {_f(r['verdict_p100'])} | "
            f"{_f(r['cpu'])} % |"
        )
    verdict = []
    if rounds:
        all_in = all(
            r["acked"] == r["answered"] == r["phones"] == PHONES
            and not r["errors"]
            and r["correct"] == r["right"]
            for r in rounds
        )
        worst = max(r["result_ms"] for r in rounds)
        verdict = [
            f"- Every answer acknowledged and counted exactly, {len(rounds)} questions: "
            + ("met" if all_in else "**missed**"),
            f"- Close → LED result, worst of {len(rounds)}: {_f(worst, 1)} ms (target ≤ "
            f"{TARGET_RESULT_MS:.0f} ms): "
            + ("met" if worst <= TARGET_RESULT_MS else "**missed**"),
        ]
    body = "\n".join(
        [*lines, "", "**Targets:**", "", *verdict]
        + ([f"- **Problems:** {'; '.join(problems)}"] if problems else [])
    )
    return Section(f"Audience play-along: {PHONES:,} phones answering within 10 s", body)
