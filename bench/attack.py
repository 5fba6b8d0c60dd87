"""The open-Wi-Fi attacks of ``docs/security.md``, replayed against a fresh ``quiz serve``.

``python -m bench --only attack`` (or ``python -m bench.attack``) starts one server on
127.0.0.1, sends each attack once while a probe times ``/healthz`` every 20 ms and samples the
server's resident memory, and prints a table: the attack, what the server did, its memory
before and at its peak, and ``/healthz`` latency during the attack. Everything is bounded: one
server, loopback only (:func:`quiz.testing.attacks.require_loopback`), every loop bounded in
count and every wait in time (:data:`quiz.testing.attacks.MAX_WAIT_S`).

Not a load test: each attack is what one phone on the Wi-Fi could send in a second or two.
"""

from __future__ import annotations

import io
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from bench.common import Section, percentile
from bench.servers import Server, start_quiz, workdir
from quiz.models.live import SEAT_ALPHABET
from quiz.testing.attacks import (
    OTHER_ADDRESS,
    Probe,
    deflate_bomb,
    push_until_closed,
    sio_commands,
    sio_connects,
    ws_frame,
    ws_open,
)

SETTLE_S = 0.3  # after each attack, so a server still busy with it shows in the figures


@dataclass
class Row:
    attack: str
    result: str
    rss_before_mb: float
    rss_peak_mb: float
    p50_ms: float
    p99_ms: float
    samples: int


def _get(url: str, headers: dict[str, str] | None = None, timeout: float = 10) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _ws_attack(server: Server, payload: bytes, deflate: bool) -> str:
    sock, accepted = ws_open(server.url, deflate=deflate)
    if deflate and not accepted:
        sock.close()
        return "deflate not negotiated"
    seconds = push_until_closed(sock, payload)
    return f"closed after {seconds * 1000:.0f} ms" if seconds < 10 else "NOT closed in 10 s"


# The payloads are built before the probe starts: masking 48 MB holds this process's GIL for
# half a second, which the probe (a thread here) would report as the server's latency.
def _plain() -> bytes:
    return ws_frame(b"4" + b"x" * (48 << 20))


def _bomb() -> bytes:
    return ws_frame(deflate_bomb(300 << 20), rsv1=True)


def _fragments() -> bytes:
    bomb = deflate_bomb(64 << 20)
    pieces = [bomb[i : i + 8192] for i in range(0, len(bomb), 8192)]
    frames = [ws_frame(pieces[0], fin=False, rsv1=True)]
    frames += [ws_frame(p, opcode=0, fin=False) for p in pieces[1:-1]]
    frames.append(ws_frame(pieces[-1], opcode=0))
    return b"".join(frames)


def plain_message(server: Server, payload: bytes) -> str:
    return "48 MB message: " + _ws_attack(server, payload, False)


def deflate_frame(server: Server, payload: bytes) -> str:
    return f"{len(payload) // 1024} KB frame inflating to 300 MB: " + _ws_attack(
        server, payload, True
    )


def fragmented_bomb(server: Server, payload: bytes) -> str:
    return f"{len(payload) // 1024} KB in 8 KB fragments, inflating to 64 MB: " + _ws_attack(
        server, payload, True
    )


def any_text_qr(server: Server, _: object = None) -> str:
    url = f"{server.url}/qr.svg?data={quote('码' * 512)}"
    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(lambda _: _get(url)[0], range(6)))
    return f"6 parallel requests: HTTP {sorted(set(statuses))}"


def malformed_packets(server: Server, _: object = None) -> str:
    before = len(server.output())
    sock, _ = ws_open(server.url)
    try:
        sock.sendall(ws_frame(b'40{"v":1,"role":"display","device":"dev-0123456789abcdef"}'))
        for _ in range(100):
            for packet in (b"42", b"4", b"4x", b"43", b"4/"):
                sock.sendall(ws_frame(packet))
        time.sleep(SETTLE_S)
        sock.sendall(ws_frame(b"\x03\xe8", opcode=8))
        time.sleep(SETTLE_S)
    finally:
        sock.close()
    time.sleep(SETTLE_S)
    lines = [line for line in server.output()[before:].splitlines() if line.strip()]
    tracebacks = sum("Traceback" in line for line in lines)
    return f"500 packets + clean close: {len(lines)} log lines, {tracebacks} tracebacks"


def report_links(server: Server, _: object = None) -> str:
    status, body = _get(f"{server.url}/host/report", {"X-Host-Token": server.token})
    leaked = body.count(server.token.encode())
    return f"HTTP {status}, token in the page {leaked} times"


def huge_xlsx(server: Server, _: object = None) -> str:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet["A1"], sheet["A2"], sheet["XFD1048576"] = "姓名", "红队", "x"
    data = io.BytesIO()
    book.save(data)
    boundary = "quizbenchboundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="list.xlsx"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        + data.getvalue()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        f"{server.url}/host/contestants/import",
        data=body,
        headers={
            "X-Host-Token": server.token,
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
        method="POST",
    )
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    took = (time.perf_counter() - t0) * 1000
    return f"{len(data.getvalue()) / 1024:.1f} KB .xlsx: HTTP {status} in {took:.0f} ms"


def _seats(server: Server) -> dict[str, str]:
    """A pending match's seat codes, made by the host (from this machine)."""
    import socketio

    host = socketio.Client(reconnection=False)
    consoles: list[dict[str, Any]] = []
    sent: list[str] = []
    host.on("console", consoles.append)
    auth = {"v": 1, "role": "host", "token": server.token, "device": "bench-host-01"}
    host.connect(server.url, auth=auth, transports=["websocket"], wait_timeout=10)
    try:

        def command(type: str, **args: Any) -> dict[str, Any]:
            ident = f"b-{type}-{len(sent)}"
            sent.append(ident)
            ack: dict[str, Any] = host.call("command", {"id": ident, "type": type, **args})
            return ack

        red = command("add_contestant", name="红方")["contestant_id"]
        blue = command("add_contestant", name="蓝方")["contestant_id"]
        match = command("create_match", red=red, blue=blue, filter={"kinds": ["single"]})
        for _ in range(100):
            seats = [s for c in consoles for s in c["seats"] if s["match_id"] == match["match_id"]]
            if seats:
                return {s["side"]: s["code"] for s in seats}
            time.sleep(0.05)
        raise RuntimeError(f"no seats on the console: {match} {consoles[-1:]}"[:400])
    finally:
        host.disconnect()


def seat_guessing(server: Server, codes: dict[str, str]) -> str:
    import random

    rng = random.Random(15)
    guesses = ["".join(rng.choice(SEAT_ALPHABET) for _ in range(8)) for _ in range(400)]
    guesses[300] = codes["blue"]
    auths = [{"v": 1, "role": "player", "device": "guesser-01", "seat": g} for g in guesses]
    sock, _ = ws_open(server.url, source=OTHER_ADDRESS)
    try:
        answers = sio_connects(sock, list(auths))
    finally:
        sock.close()
    real, _ = ws_open(server.url)
    try:
        bound = sio_connects(
            real, [{"v": 1, "role": "player", "device": "real-red-01", "seat": codes["red"]}]
        )
    finally:
        real.close()
    return (
        f"400 guesses on one socket: {answers.count('unknown_seat')} checked, "
        f"{answers.count('seat_locked')} locked out, the real code at try 301: {answers[300]}; "
        f"the real phone: {bound[0]}"
    )


def fake_phones(server: Server, _: object = None) -> str:
    answers = []
    for n in range(12):
        sock, _ = ws_open(server.url, source="127.0.0.4")
        try:
            answers += sio_connects(sock, [{"v": 1, "role": "player", "device": f"fake-{n:04}"}])
        finally:
            sock.close()
    return (
        f"12 new device ids from one address: {answers.count('ok')} accepted, "
        f"{answers.count('too_many_phones')} refused"
    )


def command_flood(server: Server, _: object = None) -> str:
    socks = [ws_open(server.url, source="127.0.0.5")[0] for _ in range(3)]
    acks: list[dict[str, Any]] = []
    try:
        for n, sock in enumerate(socks):
            sio_connects(sock, [{"v": 1, "role": "player", "device": f"flood-{n:04}"}])
        for n, sock in enumerate(socks):
            commands = [
                {"id": f"f{n}-{i}", "type": "answer", "round": "nope", "choices": ["A"]}
                for i in range(20)
            ]
            acks += sio_commands(sock, commands)
    finally:
        for sock in socks:
            sock.close()
    limited = sum(1 for a in acks if (a.get("error") or {}).get("code") == "rate_limited")
    return f"60 commands over 3 ids from one address: {limited} rate limited"


Attack = Callable[[Server, Any], str]
ATTACKS: list[tuple[str, Attack, Callable[[], Any] | None]] = [
    ("oversized WebSocket message", plain_message, _plain),
    ("permessage-deflate bomb", deflate_frame, _bomb),
    ("deflate bomb in fragments", fragmented_bomb, _fragments),
    ("QR code of arbitrary text", any_text_qr, None),
    ("malformed Socket.IO packets", malformed_packets, None),
    ("token in report links", report_links, None),
    ("contestant list at XFD1048576", huge_xlsx, None),
    ("seat code guessing", seat_guessing, None),
    ("many audience phones from one address", fake_phones, None),
    ("commands over many ids from one address", command_flood, None),
]


def measure(server: Server, name: str, attack: Attack, prepare: Callable[[], Any] | None) -> Row:
    payload = prepare() if prepare is not None else None
    if attack is seat_guessing:
        payload = _seats(server)  # the host's own setup, before the attack is timed
    probe = Probe(server.url, server.pid).start()
    try:
        result = attack(server, payload)
        time.sleep(SETTLE_S)
    except Exception as exc:  # one failed attack must not hide the others' figures
        result = f"attack failed: {type(exc).__name__}: {exc}"[:120]
    finally:
        probe.stop()
    lat = probe.latencies_ms or [float("inf")]
    return Row(
        name,
        result,
        probe.rss_before_kb / 1024,
        (probe.rss_before_kb + probe.peak_growth_kb) / 1024,
        percentile(lat, 50),
        percentile(lat, 99),
        len(probe.latencies_ms),
    )


def table(rows: list[Row]) -> str:
    lines = [
        "| attack | result | server RSS before → peak (MB) | /healthz p50 / p99 during (ms) |",
        "|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.attack} | {r.result} | {r.rss_before_mb:.0f} → {r.rss_peak_mb:.0f} | "
            f"{r.p50_ms:.1f} / {r.p99_ms:.1f} (n={r.samples}) |"
        )
    return "\n".join(lines)


def run() -> Section:
    server = start_quiz("gevent", workdir("attack"))
    try:
        rows = [measure(server, *attack) for attack in ATTACKS]
    finally:
        server.stop()
    body = (
        "One fresh `quiz serve` (gevent) on 127.0.0.1; each attack once, with `/healthz` timed "
        "every 20 ms and the server's memory sampled meanwhile (peak: the larger of the sampled "
        "VmRSS and the growth of the kernel's high-water mark VmHWM).\n\n" + table(rows)
    )
    return Section("Attacks", body)


if __name__ == "__main__":
    section = run()
    print(f"## {section.title}\n\n{section.body}")
