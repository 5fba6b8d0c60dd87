"""Scale-out on one machine: fan-out to 2,000 phones split over two ``quiz serve`` processes
that share a Redis message queue and one database (docs/scale-out.md).

Process A owns the match (the host, the LED display and the blue phone are on it); the red
phone and half of the audience are on process B, the relay. Measured: fan-out of a new
question to all 2,000 phones, and buzz → LED when the buzz comes through B.
"""

from __future__ import annotations

import asyncio
import os

from bench import driver
from bench.common import Section, percentile
from bench.servers import Usage, prioritise, raise_fd_limit, start_quiz, start_redis, workdir
from bench.swarm import Swarm

PHONES = 2000
FANOUT_ROUNDS = int(os.environ.get("BENCH_FANOUT_ROUNDS", "10"))
BUZZ_ROUNDS = int(os.environ.get("BENCH_BUZZ_ROUNDS", "30"))
WORKERS = 4
RUN_TIMEOUT_S = 200


async def _measure() -> list[str]:
    folder = workdir("scale")
    redis = start_redis(folder)
    servers = []
    swarm: Swarm | None = None
    keys: driver.Keys | None = None
    try:
        database_url = f"sqlite:///{folder / 'shared.sqlite3'}"
        a = start_quiz("gevent", folder, database_url=database_url, redis_url=redis.url)
        servers.append(a)
        b = start_quiz(
            "gevent", folder, database_url=database_url, redis_url=redis.url, token=a.token
        )
        servers.append(b)
        keys = await driver.setup_quiz(a.url, a.token, red_url=b.url)
        swarm = Swarm(WORKERS)
        for server in (a, b):
            report = await swarm.connect(server.url, PHONES // 2)
            if report.errors:
                raise RuntimeError(f"{len(report.errors)} phones failed: {report.errors[0]}")
        await asyncio.sleep(1.0)
        usage = {name: Usage(s.pid) for name, s in (("A", a), ("B", b))}
        for u in usage.values():
            u.start()
        fan = await driver.fanout_rounds(keys, swarm, FANOUT_ROUNDS)
        cpu_fan = {name: u.cpu_percent() for name, u in usage.items()}
        buzz = await driver.buzz_rounds(keys, swarm, BUZZ_ROUNDS)
        red_on_b = buzz["display"][0::2] + buzz["opponent"][0::2]
        blue_on_a = buzz["display"][1::2] + buzz["opponent"][1::2]
    finally:
        if keys is not None:
            await keys.close()
        if swarm is not None:
            await swarm.close()
        for server in servers:
            server.stop()
        redis.stop()

    def med(values: list[float]) -> float:
        return sorted(values)[len(values) // 2] if values else float("nan")

    rows = [
        "| what | 50 % / p50 | 95 % / p95 | 100 % / p99 |",
        "| --- | --- | --- | --- |",
        f"| fan-out to {PHONES:,} phones (1,000 on A, 1,000 on B), ms | {med(fan.p50):.1f} | "
        f"{med(fan.p95):.1f} | {med(fan.p100):.1f} |",
    ]
    for name, values in (
        ("buzz through B (relay) → LED on A", red_on_b),
        ("buzz through A (owner) → LED on A", blue_on_a),
    ):
        if values:
            rows.append(
                f"| {name}, ms | {percentile(values, 50):.1f} | "
                f"{percentile(values, 95):.1f} | {percentile(values, 99):.1f} |"
            )
    return [
        "Two `quiz serve --async gevent` processes on this machine, one `redis-server`, one "
        "SQLite file; the generator as above. Fan-out: median over "
        f"{FANOUT_ROUNDS} questions ({fan.missing} deliveries missed). Buzz: {BUZZ_ROUNDS} "
        "buzzes alternating between the contestant on B and the one on A, with 2,000 audience "
        "phones connected; the LED display and the opponent pooled.",
        "\n".join(rows),
        f"CPU during the fan-out rounds (% of one core): A (owner) {cpu_fan['A']:.0f}, "
        f"B (relay) {cpu_fan['B']:.0f}. Every message the owner broadcasts goes through Redis "
        "once per room and is written to B's sockets by B, so the two processes share the "
        "socket writes; both still share this machine's two cores with the load generator.",
    ]


def run() -> Section:
    raise_fd_limit()
    prioritise()
    try:
        parts = asyncio.run(asyncio.wait_for(_measure(), RUN_TIMEOUT_S))
    except Exception as exc:  # reported in the document rather than hidden
        parts = [f"The two-process run did not finish: {type(exc).__name__}: {str(exc)[:300]}"]
    return Section("Scale-out: two processes and Redis on this machine", "\n\n".join(parts))
