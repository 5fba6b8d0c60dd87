"""Live server benchmarks: buzz → LED latency, fan-out, join storm, memory and CPU, measured on
``quiz serve`` and on the relay-only floor in the same run, for gevent, eventlet and threading.

One run per (async mode, server): start it, connect the key clients, then raise the number of
audience phones 0 → 500 → 1,000 → 2,000, measuring at each level; then disconnect everyone and
let 1,000 phones join within 10 s. Everything happens on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
import urllib.request
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bench import driver
from bench.common import Section, percentile
from bench.servers import (
    PRIORITY,
    Server,
    Usage,
    prioritise,
    raise_fd_limit,
    start_floor,
    start_quiz,
    workdir,
)
from bench.swarm import Swarm

MODES = tuple(os.environ.get("BENCH_MODES", "gevent eventlet threading").split())
LEVELS = (0, 500, 1000, 2000)
BUZZ_AT = (0, 500, 2000)
FANOUT_AT = (500, 1000, 2000)
BUZZ_ROUNDS = int(os.environ.get("BENCH_BUZZ_ROUNDS", "30"))
FANOUT_ROUNDS = int(os.environ.get("BENCH_FANOUT_ROUNDS", "10"))
JOIN_PHONES = 1000
JOIN_SPREAD_S = 10.0
REST_S = 2.0
WORKERS = 4
RUN_TIMEOUT_S = 360  # one (mode, server) run; a run that hangs is reported, not waited for

TARGET_BUZZ_P99_MS = 15.0
TARGET_FANOUT_P95_MS = 200.0
TARGET_JOIN_S = 10.0
TARGET_FLOOR_RATIO = 1.5
#: Fair buzzing needs a prompt stamp: the loop may wake this late at most, p99.
TARGET_LAG_P99_MS = 5.0
#: How often the loop-lag probe's summary is read from /healthz during a measured phase.
LAG_READ_S = 4.0
T = TypeVar("T")


@dataclass
class Run:
    """Every figure of one (mode, server) run; ``error`` if it could not finish."""

    mode: str
    server: str
    buzz: dict[int, dict[str, list[float]]] = field(default_factory=dict)
    fanout: dict[int, driver.FanOut] = field(default_factory=dict)
    join: dict[str, float] = field(default_factory=dict)
    burst: dict[str, float] = field(default_factory=dict)
    join_errors: list[str] = field(default_factory=list)
    rss: dict[int, int] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)
    # The server's event-loop lag during each measured phase (quiz only: the floor has no
    # probe), from /healthz's ``loop_lag``: {phase: {"p50", "p99", "max", "reads"}}.
    lag: dict[str, dict[str, float]] = field(default_factory=dict)
    error: str | None = None
    phase: str = "start-up"

    def buzz_p(self, level: int, p: float) -> float:
        values = self.buzz.get(level, {}).get("display", []) + self.buzz.get(level, {}).get(
            "opponent", []
        )
        return percentile(values, p) if values else float("nan")

    def fan_p(self, level: int, which: str) -> float:
        values = getattr(self.fanout[level], which) if level in self.fanout else []
        return _median(values)

    def kb_per_phone(self) -> float:
        if 0 not in self.rss or LEVELS[-1] not in self.rss:
            return float("nan")
        return (self.rss[LEVELS[-1]] - self.rss[0]) / LEVELS[-1] / 1024


def _median(values: list[float]) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def _healthz_lag(url: str) -> dict[str, float]:
    with urllib.request.urlopen(f"{url}/healthz", timeout=5) as response:
        lag: dict[str, float] = json.load(response)["loop_lag"]
    return lag


async def _with_lag(run: Run, url: str, phase: str, work: Awaitable[T]) -> T:
    """Run ``work`` while reading the quiz server's loop-lag probe every :data:`LAG_READ_S`
    (its summary covers its last 256 wake-ups, about 5 s) and once more at the end; keeps the
    median p50, the worst p99 and the largest lag seen."""
    if run.server != "quiz":
        return await work
    reads: list[dict[str, float]] = []
    done = asyncio.Event()

    async def read() -> None:
        while not done.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(done.wait(), LAG_READ_S)
            with contextlib.suppress(Exception):  # a missed read leaves a gap, not a failure
                reads.append(await asyncio.to_thread(_healthz_lag, url))

    reader = asyncio.create_task(read())
    try:
        return await work
    finally:
        done.set()
        await reader
        reads = [r for r in reads if r.get("count")]
        if reads:
            run.lag[phase] = {
                "p50": _median([r["p50"] for r in reads]),
                "p99": max(r["p99"] for r in reads),
                "max": max(r["max"] for r in reads),
                "reads": float(len(reads)),
            }


async def _measure(run: Run, server: Server, keys: driver.Keys, swarm: Swarm) -> None:
    usage = Usage(server.pid)
    if run.server == "quiz" and keys.display.last is not None:
        run.state = keys.display.last  # a question on screen: what the floor will relay
    for level in LEVELS:
        run.phase = f"connecting {level} phones"
        if level > swarm.connected:
            usage.start()
            report = await swarm.connect(server.url, level - swarm.connected)
            run.cpu[f"connecting to {level}"] = usage.cpu_percent()
            if report.errors:
                raise RuntimeError(
                    f"{len(report.errors)} phones failed to connect, e.g. {report.errors[0]}"
                )
        await asyncio.sleep(1.0)  # let the connect traffic drain before sampling
        run.rss[level] = usage.rss()
        usage.start()
        await asyncio.sleep(REST_S)
        run.cpu[f"at rest, {level} phones"] = usage.cpu_percent()
        if level in BUZZ_AT:
            run.phase = f"buzzing with {level} phones"
            usage.start()
            run.buzz[level] = await _with_lag(
                run, server.url, f"buzzing, {level}", driver.buzz_rounds(keys, swarm, BUZZ_ROUNDS)
            )
            run.cpu[f"buzzing, {level} phones"] = usage.cpu_percent()
        if level in FANOUT_AT:
            run.phase = f"fan-out to {level} phones"
            usage.start()
            run.fanout[level] = await _with_lag(
                run,
                server.url,
                f"fan-out, {level}",
                driver.fanout_rounds(keys, swarm, FANOUT_ROUNDS),
            )
            run.cpu[f"fan-out, {level} phones"] = usage.cpu_percent()
    run.phase = "join storm"
    await swarm.disconnect()
    await asyncio.sleep(2.0)
    usage.start()
    report = await swarm.connect(server.url, JOIN_PHONES, spread_s=JOIN_SPREAD_S, timeout_s=60)
    run.cpu["join storm"] = usage.cpu_percent()
    run.join = driver.join_figures(report)
    await swarm.disconnect()
    await asyncio.sleep(2.0)
    usage.start()
    burst = await swarm.connect(server.url, JOIN_PHONES, timeout_s=60)
    run.cpu["join burst"] = usage.cpu_percent()
    run.burst = driver.join_figures(burst)
    run.join_errors = sorted(set(report.errors + burst.errors))[:3]
    await swarm.disconnect()


async def _one(mode: str, kind: str, state: dict[str, Any]) -> Run:
    run = Run(mode, kind)
    folder = workdir(f"{kind}-{mode}")
    server = start_quiz(mode, folder) if kind == "quiz" else start_floor(mode, folder, state)
    swarm = Swarm(WORKERS)
    keys: driver.Keys | None = None
    try:
        if kind == "quiz":
            keys = await driver.setup_quiz(server.url, server.token)
        else:
            keys = await driver.setup_floor(server.url)
        await asyncio.wait_for(_measure(run, server, keys, swarm), RUN_TIMEOUT_S)
    except Exception as exc:  # a failed run is reported in the document, not hidden
        run.error = f"{type(exc).__name__} while {run.phase}: {str(exc)[:300]}"
    finally:
        if keys is not None:
            await keys.close()
        await swarm.close()
        server.stop()
    return run


async def _all_runs() -> list[Run]:
    runs: list[Run] = []
    # Stand-in until a quiz run recorded a real state (only if the first quiz run fails).
    state: dict[str, Any] = {"v": 1, "seq": 0, "match": {"pad": "x" * 6000}}
    for mode in MODES:
        for kind in ("quiz", "floor"):
            print(f"  {mode} / {kind} ...", flush=True)
            started = time.monotonic()
            run = await _one(mode, kind, state)
            if kind == "quiz" and run.state:
                state = run.state
            print(
                f"  {mode} / {kind}: {time.monotonic() - started:.0f} s"
                f"{'; ' + run.error if run.error else ''}",
                flush=True,
            )
            runs.append(run)
    return runs


# --- the document ------------------------------------------------------------------------------

WHY = """### What stood in the way, and what is left

Found by profiling `quiz serve` under this generator (py-spy, and timing inside the hub):

- **Database work on the event loop.** Every question draw and every host console rebuilt the
  whole bank from the database, decoding every question's JSON: ~80 ms with the event loop
  blocked, so every socket of the process waited. Now only the current version ids are read
  and versions, which never change, come from a cache (`quiz/live/bank_source.py`). Every
  broadcast also queried the seat codes; they are now cached until `issue_seat` changes them.
- **Order of the fan-out.** The hub emitted to the audience room before the contestants' rooms,
  so with 2,000 phones the opponent's phone waited behind 2,000 socket writes. Host, LED and
  both contestants now go first and the event loop is yielded once before the audience is
  queued (`Broadcaster.broadcast`, quiz/live/broadcast.py).
- **Serialisation.** One redaction per broadcast instead of one per role (it is the same for
  every non-host role); python-socketio encodes one packet per room. Its check of every
  outgoing payload for binary attachments walked the whole state with a `reduce` per level
  and cost more than the JSON encoding: the protocol is JSON only, so `quiz/sockets/wire.py`
  skips it. A joining phone gets a state built and redacted once per change of the match.
- **Compression per phone.** py-spy put 44 % of the server's CPU in permessage-deflate: one
  compressor per socket, each message compressed once per phone against that phone's
  history. `quiz/server/deflate.py` answers every offer with `server_no_context_takeover`,
  so a message compresses to the same bytes for every phone and a broadcast is compressed
  once. It also freed most of the memory per phone (a 15-bit zlib window per socket). The
  floor uses the same compression, so the ratios compare like with like. The price is
  bandwidth: each message is compressed on its own (see the sizes below).
- **The garbage collector.** With 2,000 phones CPython's full collections took 100-250 ms
  every few seconds, with every socket waiting: the whole tail of the buzz latency.
  `quiz serve` freezes its start-up objects, and `quiz/live/collector.py` runs the one full
  collection at a quiet moment (no match clock about to run against a player) after a wave
  of connections, and freezes the survivors, so the automatic passes only walk what is new.
- **Messages no phone reads.** A new question sent each audience phone its state, the
  audience round and an answer count that phones ignore while a round is open: the count now
  goes to phones only when a round's time is up. Each phone still gets the audience round as
  a second message after the state; the floor relays the state alone.
- **Nagle.** `quiz serve` listens with TCP_NODELAY and sets it on every accepted socket (gevent
  and eventlet); the floor uses the same listener. Threading mode runs Werkzeug, as the floor
  does in that mode.
- **Logging on the hot path.** None: Socket.IO and engine.io loggers are off; the hub logs
  only failures.

What is left: per phone, one WebSocket frame per message, written by one Python process, and
on this 2-core machine the generator's 2,000 `AsyncClient`s need about as much CPU to receive a
broadcast as the server needs to send it, so fan-out and the buzz tail with 2,000 phones are
bounded by the machine, not by the server alone. The quiz ÷ floor ratio for a fan-out is
mostly the audience round that follows each question's state (one more message per phone,
sent while the phones are still reading the state); carrying the round inside the audience
state would remove it. A join costs a database insert for a new audience member and two
messages of its own (its handle and the open round). Where a target is missed, the verdict
above gives the margin. Beyond one core, the way up is more processes (next section and
`docs/scale-out.md`).
"""


def _f(value: float, digits: int = 1) -> str:
    if value != value:  # NaN: not measured
        return "–"
    if value == float("inf"):
        return "∞"
    return f"{value:.{digits}f}"


def _ratio(a: float, b: float) -> str:
    if a != a or b != b or b <= 0 or a == float("inf"):
        return "–"
    return f"{a / b:.2f}×"


def _pair(runs: list[Run], mode: str) -> tuple[Run | None, Run | None]:
    quiz = next((r for r in runs if r.mode == mode and r.server == "quiz"), None)
    floor = next((r for r in runs if r.mode == mode and r.server == "floor"), None)
    return quiz, floor


def _tables(runs: list[Run]) -> list[str]:
    out: list[str] = []
    buzz = [
        "| mode | phones | quiz p50 | p95 | p99 | floor p99 | p99 ratio | buzzer ack p50 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    fan = [
        "| mode | phones | quiz 50 % | 95 % | 100 % | floor 95 % | 95 % ratio | "
        "worst round 100 % | missed |",
        "| --- " * 9 + "|",
    ]
    join = [
        "| mode | server | arrivals | joined | success | all joined after s | join p50 ms | "
        "p95 | p99 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    res = [
        "| mode | server | RSS at 0 phones MB | KiB per phone | "
        + " | ".join(["CPU % at rest (2,000)", "buzzing (2,000)", "fan-out (2,000)", "join storm"])
        + " |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for mode in MODES:
        quiz, floor = _pair(runs, mode)
        if quiz is None or floor is None:
            continue
        for level in BUZZ_AT:
            if level not in quiz.buzz:
                continue
            ack = quiz.buzz[level]["ack"]
            buzz.append(
                f"| {mode} | {level:,} | {_f(quiz.buzz_p(level, 50))} | "
                f"{_f(quiz.buzz_p(level, 95))} | {_f(quiz.buzz_p(level, 99))} | "
                f"{_f(floor.buzz_p(level, 99))} | "
                f"{_ratio(quiz.buzz_p(level, 99), floor.buzz_p(level, 99))} | "
                f"{_f(percentile(ack, 50) if ack else float('nan'))} |"
            )
        for level in FANOUT_AT:
            if level not in quiz.fanout:
                continue
            f = quiz.fanout[level]
            fan.append(
                f"| {mode} | {level:,} | {_f(quiz.fan_p(level, 'p50'))} | "
                f"{_f(quiz.fan_p(level, 'p95'))} | {_f(quiz.fan_p(level, 'p100'))} | "
                f"{_f(floor.fan_p(level, 'p95'))} | "
                f"{_ratio(quiz.fan_p(level, 'p95'), floor.fan_p(level, 'p95'))} | "
                f"{_f(max(f.p100) if f.p100 else float('nan'))} | {f.missing} |"
            )
        for run in (quiz, floor):
            for arrivals, j in (
                (f"spread over {JOIN_SPREAD_S:.0f} s", run.join),
                ("all at once", run.burst),
            ):
                if not j:
                    continue
                join.append(
                    f"| {mode} | {run.server} | {arrivals} | {j['ok']:.0f}/{JOIN_PHONES} | "
                    f"{_f(j['rate'])} % | {_f(j['all_s'], 2)} | {_f(j['p50'])} | "
                    f"{_f(j['p95'])} | {_f(j['p99'])} |"
                )
            top = LEVELS[-1]
            res.append(
                f"| {mode} | {run.server} | {_f(run.rss.get(0, float('nan')) / 2**20)} | "
                f"{_f(run.kb_per_phone())} | "
                f"{_f(run.cpu.get(f'at rest, {top} phones', float('nan')), 0)} | "
                f"{_f(run.cpu.get(f'buzzing, {top} phones', float('nan')), 0)} | "
                f"{_f(run.cpu.get(f'fan-out, {top} phones', float('nan')), 0)} | "
                f"{_f(run.cpu.get('join storm', float('nan')), 0)} |"
            )
    out.append(
        "### 1. Buzz → LED latency (ms)\n\nFrom the buzzing phone's `command` emit until "
        "the LED display and the opponent's phone hold the resulting `state`; both "
        "observers pooled, "
        f"{BUZZ_ROUNDS} buzzes per row. The buzzer's own ack is the last column.\n\n"
        + "\n".join(buzz)
    )
    out.append(
        "### 2. Fan-out of a new question (ms)\n\nFrom the host's `show_question` emit "
        "until 50 %, 95 % and 100 % of the audience phones hold the new `state`; median "
        f"over {FANOUT_ROUNDS} questions per row (a `void` between questions, not "
        "measured).\n\n" + "\n".join(fan)
    )
    out.append(
        f"### 3. Join storm\n\n{JOIN_PHONES:,} phones joining, first evenly spread over "
        f"{JOIN_SPREAD_S:.0f} s, then all at once (as fast as the generator opens "
        "connections, which is harder than any spread within 10 s); joined = connected "
        'and holding the first `state`. "All joined after" counts from the first '
        "attempt; join latency is per phone, attempt to first `state`.\n\n" + "\n".join(join)
    )
    lag = [
        "| mode | phase | phones | lag p50 (median) | worst p99 | max | reads |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for mode in MODES:
        quiz, _floor = _pair(runs, mode)
        for phase, figures in (quiz.lag if quiz is not None else {}).items():
            what, level = phase.split(", ")
            lag.append(
                f"| {mode} | {what} | {int(level):,} | {_f(figures['p50'])} | "
                f"{_f(figures['p99'])} | {_f(figures['max'])} | {figures['reads']:.0f} |"
            )
    out.append(
        "### 4. Memory and CPU of the server process\n\nRSS with only the four key "
        "clients, then the growth per audience phone up to 2,000; CPU in % of one core "
        "(the server is one process; gevent and eventlet use one core at most).\n\n"
        + "\n".join(res)
    )
    out.append(
        "### 5. Event-loop lag of the server (ms)\n\nHow late `quiz serve`'s loop-lag probe "
        "(`quiz/live/looplag.py`, asking to wake every 20 ms) woke while the buzzes and the "
        f"fan-outs above ran, read from `/healthz` every {LAG_READ_S:g} s and at the end of "
        "each phase (each read summarises the last 256 wake-ups, about 5 s): a buzz arriving "
        "then could be stamped up to this late. Target: p99 ≤ "
        f"{TARGET_LAG_P99_MS:g} ms during opening and presses with 2,000 phones connected.\n\n"
        + "\n".join(lag)
    )
    return out


def _verdicts(runs: list[Run]) -> list[str]:
    lines: list[str] = []
    quiz, floor = _pair(runs, "gevent")
    if quiz is None or floor is None or quiz.error:
        return ["- The default (gevent) run did not complete; no verdict."]
    checks = [
        (
            "buzz → LED p99 with 2,000 phones",
            quiz.buzz_p(2000, 99),
            TARGET_BUZZ_P99_MS,
            "ms",
            floor.buzz_p(2000, 99),
        ),
        (
            "fan-out to 2,000 phones, 95 %",
            quiz.fan_p(2000, "p95"),
            TARGET_FANOUT_P95_MS,
            "ms",
            floor.fan_p(2000, "p95"),
        ),
        (
            "join storm (1,000 at once), all joined after",
            quiz.burst.get("all_s", float("inf")),
            TARGET_JOIN_S,
            "s",
            floor.burst.get("all_s", float("inf")),
        ),
    ]
    for name, value, target, unit, floor_value in checks:
        met = value <= target
        ratio = value / floor_value if floor_value and floor_value == floor_value else float("nan")
        floor_ok = ratio <= TARGET_FLOOR_RATIO
        verdict = (
            "met"
            if met
            else (
                f"**missed** by {_f(value - target)} {unit} ({_f(value / target, 2)}× the target)"
            )
        )
        lines.append(
            f"- {name}: {_f(value)} {unit} (target ≤ {target:g} {unit}): {verdict}; "
            f"floor {_f(floor_value)} {unit}, ratio {_f(ratio, 2)}× "
            f"({'within' if floor_ok else '**outside**'} {TARGET_FLOOR_RATIO}×)"
        )
    lag = quiz.lag.get("buzzing, 2000", {}).get("p99", float("nan"))
    lines.append(
        f"- event-loop lag p99 while buzzing with 2,000 phones: {_f(lag)} ms (target ≤ "
        f"{TARGET_LAG_P99_MS:g} ms): "
        + ("met" if lag <= TARGET_LAG_P99_MS else f"**missed** ({_f(lag / TARGET_LAG_P99_MS, 2)}×)")
    )
    return lines


def _modes_verdict(runs: list[Run]) -> str:
    """Each mode's figures at 2,000 phones, then which mode the numbers favour and why the
    default is what it is."""
    figures: dict[str, dict[str, float]] = {}
    lines = []
    for mode in MODES:
        quiz, _ = _pair(runs, mode)
        if quiz is None or quiz.error:
            lines.append(f"- {mode}: run failed ({quiz.error if quiz else 'not run'})")
            continue
        figures[mode] = {
            "buzz → LED p99": quiz.buzz_p(2000, 99),
            "fan-out 95 %": quiz.fan_p(2000, "p95"),
            "1,000 joined at once": quiz.burst.get("all_s", float("inf")),
            "memory per phone": quiz.kb_per_phone(),
        }
        f = figures[mode]
        lines.append(
            f"- {mode}: buzz → LED p99 {_f(f['buzz → LED p99'])} ms, fan-out 95 % "
            f"{_f(f['fan-out 95 %'])} ms, 1,000 joined at once in "
            f"{_f(f['1,000 joined at once'], 2)} s, {_f(f['memory per phone'])} KiB per phone"
        )
    if not figures:
        return "\n".join(lines)
    wins = {mode: 0 for mode in figures}
    best: list[str] = []
    for name in next(iter(figures.values())):
        valid = {m: v[name] for m, v in figures.items() if v[name] == v[name]}
        if valid:
            winner = min(valid, key=lambda m: valid[m])
            wins[winner] += 1
            best.append(f"{name}: {winner}")
    leader = max(wins, key=lambda m: wins[m])
    failed = [m for m in MODES if m not in figures]
    lines.append(
        f"\nBest per figure in this run: {'; '.join(best)}. "
        + (f"{', '.join(failed)} did not get through 2,000 phones. " if failed else "")
        + (
            "gevent, the default, measured best on most figures."
            if leader == "gevent"
            else f"{leader} measured ahead of gevent on {wins[leader]} of {len(best)} figures "
            "in this run. gevent stays the default all the same: eventlet is in maintenance "
            "mode and its own project (and Flask's deployment docs) discourage new use, and "
            "the two are close enough here that this machine's load can decide the order "
            "(see the load average above); re-run on a quiet machine before changing it."
        )
        + " threading is for development only: it spends one or more OS threads per phone."
    )
    return "\n".join(lines)


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f} (1 min) / {five:.1f} (5 min)"


def _sizes(state: dict[str, Any] | None) -> str:
    """What compressing each message on its own costs in bytes, on the recorded state."""
    if not state:
        return ""
    import json
    import zlib

    from quiz.server.deflate import compress

    first = json.dumps(["state", state], separators=(",", ":"), ensure_ascii=False)
    nxt = {**state, "seq": int(state.get("seq") or 0) + 1, "now": int(state.get("now") or 0) + 900}
    second = json.dumps(["state", nxt], separators=(",", ":"), ensure_ascii=False)
    raw = len(second.encode())
    alone = len(compress(second.encode(), 15))
    stream = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    stream.compress(first.encode())
    stream.flush(zlib.Z_SYNC_FLUSH)
    taken = len((stream.compress(second.encode()) + stream.flush(zlib.Z_SYNC_FLUSH))[:-4])
    return (
        "**Bytes on the air per phone** for the recorded LED state: "
        f"{raw:,} bytes of JSON; {alone:,} bytes compressed on its own (what is sent now); "
        f"{taken:,} bytes when it follows the previous state with context takeover (what "
        "per-socket compression would have sent for a state that only moved on by one step, "
        "the best case for it)."
    )


def run() -> Section:
    raise_fd_limit()
    raised = prioritise()
    load_before = _load()
    runs = asyncio.run(_all_runs())
    load_after = _load()
    failed = [f"- {r.mode} / {r.server}: {r.error}" for r in runs if r.error]
    body = [
        "How it is measured: the driver process holds the host, the LED display and both "
        "contestant phones; the audience phones are python-socketio `AsyncClient`s in "
        f"{WORKERS} worker processes, WebSocket transport with permessage-deflate (as every "
        "browser negotiates it), all on 127.0.0.1. Receive times are CLOCK_MONOTONIC, shared by "
        "every process. The floor is `bench/floor_server.py`: the same rooms and the same "
        "recorded `state` messages relayed with no validation, engine or database, on the same "
        "async mode and listener. Ratios are quiz ÷ floor. The match runs without a fair-buzzing "
        "commit window (that window, up to 300 ms derived from the phones' measured delays, "
        "holds each decision by design and would simply be added to every buzz figure). "
        + (
            f"The servers and the driver run at nice {PRIORITY}, the audience workers at 0: "
            "in a venue the phones are other devices and the laptop serves alone. "
            if raised
            else "All processes ran at the same priority (not allowed to raise it). "
        )
        + f"Load average of the machine before the runs {load_before}, after {load_after}: "
        "this machine is shared, so tails (p99, 100 %) include other work's noise.",
        "**Targets (default async mode, gevent):**\n\n" + "\n".join(_verdicts(runs)),
        "**Async modes side by side (2,000 phones):**\n\n" + _modes_verdict(runs),
        *(_tables(runs)),
        WHY,
        _sizes(next((r.state for r in runs if r.state), None)),
    ]
    join_errors = [
        f"- {r.mode} / {r.server}: " + "; ".join(r.join_errors) for r in runs if r.join_errors
    ]
    if join_errors:
        body.append("**Join failures seen (first kinds):**\n\n" + "\n".join(join_errors))
    if failed:
        body.append("**Runs that did not finish:**\n\n" + "\n".join(failed))
    return Section("Live server: latency, fan-out, join storm, memory and CPU", "\n\n".join(body))
