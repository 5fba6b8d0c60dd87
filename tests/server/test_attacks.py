"""The open-Wi-Fi attacks of docs/security.md, performed against a real ``quiz serve``.

Each test sends what an attacker on the venue Wi-Fi could send and checks the server refuses it
quickly, stays small and keeps answering ``/healthz``. Latency bounds are loose on purpose
(the machines running the tests are shared); the unbounded behaviour these tests catch costs
seconds and hundreds of megabytes, not milliseconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import requests
from flask import Flask

from quiz.live.hub import LiveHub
from quiz.testing.attacks import Probe, deflate_bomb, push_until_closed, ws_frame, ws_open
from tests.conftest import LiveServer, Peer
from tests.server.conftest import TC, start_match

#: The WebSocket message cap is the 64 KiB transport limit; a refused attack may cost the
#: server a few buffers of that size, never the attack's size.
MAX_GROWTH_KB = 24 * 1024
HEALTHZ_MEDIAN_MS = 50
HEALTHZ_MAX_MS = 500


def _attack(server: LiveServer, payload: bytes, deflate: bool) -> tuple[float, Probe]:
    sock, accepted = ws_open(server.url, deflate=deflate)
    assert accepted == deflate
    probe = Probe(server.url, server.proc.pid).start()
    try:
        seconds = push_until_closed(sock, payload, timeout=10)
        time.sleep(0.3)  # let a server that is still inflating show it in memory and latency
    finally:
        probe.stop()
    return seconds, probe


def _assert_refused(server: LiveServer, seconds: float, probe: Probe) -> None:
    growth = probe.peak_growth_kb
    assert seconds < 2, f"the server took {seconds:.2f}s to close the socket"
    assert growth < MAX_GROWTH_KB, f"server memory grew by {growth / 1024:.0f} MB"
    assert probe.failures == 0 and probe.latencies_ms
    assert probe.median_ms < HEALTHZ_MEDIAN_MS, probe.latencies_ms
    assert max(probe.latencies_ms) < HEALTHZ_MAX_MS, probe.latencies_ms
    assert requests.get(f"{server.url}/healthz", timeout=2).json()["ok"]


def test_an_oversized_plain_message_is_refused_before_it_is_buffered(
    live_server: LiveServer,
) -> None:
    payload = ws_frame(b"4" + b"x" * (48 * 1024 * 1024))
    seconds, probe = _attack(live_server, payload, deflate=False)
    _assert_refused(live_server, seconds, probe)


def test_a_deflate_bomb_is_not_inflated_past_the_cap(live_server: LiveServer) -> None:
    bomb = deflate_bomb(200 * 1024 * 1024)
    assert len(bomb) < 300 * 1024  # small on the wire: the whole point of the attack
    seconds, probe = _attack(live_server, ws_frame(bomb, rsv1=True), deflate=True)
    _assert_refused(live_server, seconds, probe)


def test_a_bomb_in_small_fragments_is_refused_too(live_server: LiveServer) -> None:
    bomb = deflate_bomb(64 * 1024 * 1024)
    pieces = [bomb[i : i + 8192] for i in range(0, len(bomb), 8192)]
    frames = [ws_frame(pieces[0], fin=False, rsv1=True)]
    frames += [ws_frame(p, opcode=0, fin=False) for p in pieces[1:-1]]
    frames.append(ws_frame(pieces[-1], opcode=0, fin=True))
    seconds, probe = _attack(live_server, b"".join(frames), deflate=True)
    _assert_refused(live_server, seconds, probe)


@pytest.mark.parametrize("deflate", [False, True])
def test_ordinary_messages_still_pass(live_server: LiveServer, deflate: bool) -> None:
    """The cap refuses attacks only: a message under it (a long open answer) gets through."""
    sock, _ = ws_open(live_server.url, deflate=deflate)
    try:
        sock.sendall(ws_frame(b"40"))  # Socket.IO connect to "/" (no auth: refused politely)
        sock.settimeout(5)
        reply = sock.recv(4096)
        assert reply and reply[0] & 0x0F == 0x1, reply[:40]
    finally:
        sock.close()


def _issued_seat(server: LiveServer, sio_peer: Callable[..., Peer]) -> str:
    """A seat code in force on ``server`` (a match created by its host)."""
    host = sio_peer(server, "host", token=server.token)
    people = [host.command("add_contestant", name=n)["contestant_id"] for n in ("甲", "乙")]
    made = host.command("create_match", red=people[0], blue=people[1])
    assert made["ok"], made
    console = host.wait_for(
        lambda c: any(s["match_id"] == made["match_id"] for s in c["seats"]), "console"
    )
    return str(next(s["code"] for s in console["seats"] if s["match_id"] == made["match_id"]))


def test_the_any_text_qr_code_is_gone_and_the_real_ones_are_cached(
    live_server: LiveServer, sio_peer: Callable[..., Peer]
) -> None:
    cjk = "码" * 512  # 1.3 s of CPU per request when the route existed
    probe = Probe(live_server.url, live_server.proc.pid).start()
    try:
        t0 = time.perf_counter()
        codes = [
            requests.get(f"{live_server.url}/qr.svg", params={"data": cjk}, timeout=10).status_code
            for _ in range(4)
        ]
        elapsed = time.perf_counter() - t0
    finally:
        probe.stop()
    assert codes == [404] * 4 and elapsed < 1
    assert probe.failures == 0 and max(probe.latencies_ms) < HEALTHZ_MAX_MS
    for path in ("/qr/join.svg", f"/qr/seat/{_issued_seat(live_server, sio_peer)}.svg"):
        response = requests.get(live_server.url + path, timeout=10)
        assert response.status_code == 200 and "<svg" in response.text
        assert response.headers["Content-Type"].startswith("image/svg+xml")
    # A made-up code is refused before anything is drawn.
    assert requests.get(f"{live_server.url}/qr/seat/ABCDEFGH.svg", timeout=10).status_code == 404


def test_qr_codes_are_made_once(app: Flask, connect: Callable[..., TC], hub: LiveHub) -> None:
    """The second request for the same QR code is served from the cache, not re-encoded."""
    from quiz.views import qr_svg_bytes

    live = start_match(connect, hub, hub.clock)  # type: ignore[arg-type]
    client = app.test_client()
    qr_svg_bytes.cache_clear()
    for path in ("/qr/join.svg", f"/qr/seat/{live.codes['red']}.svg"):
        first = client.get(path).get_data()
        misses = qr_svg_bytes.cache_info().misses
        assert client.get(path).get_data() == first
        assert qr_svg_bytes.cache_info().misses == misses  # a hit, not a second encoding
    assert qr_svg_bytes.cache_info().hits == 2
    assert qr_svg_bytes.cache_info().maxsize is not None  # bounded: seat codes are many


PAGES = ("/", "/host", "/display", "/play", "/play?seat=K7QX2")


@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_the_strict_headers(live_server: LiveServer, path: str) -> None:
    response = requests.get(live_server.url + path, timeout=10)
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "unsafe" not in policy and "*" not in policy and "https:" not in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_a_forged_host_header_cannot_widen_the_policy(live_server: LiveServer) -> None:
    response = requests.get(
        live_server.url + "/play", headers={"Host": "evil.example; script-src *"}, timeout=10
    )
    policy = response.headers["Content-Security-Policy"]
    assert "evil" not in policy and "connect-src 'self';" in policy


def test_the_report_keeps_its_stricter_policy(live_server: LiveServer) -> None:
    response = requests.get(
        live_server.url + "/host/report", headers={"X-Host-Token": live_server.token}, timeout=10
    )
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_report_links_carry_no_token_and_a_cookie_authorises_them(
    live_server: LiveServer,
) -> None:
    base = live_server.url
    session = requests.Session()
    page = session.get(f"{base}/host/report", headers={"X-Host-Token": live_server.token})
    assert page.status_code == 200
    assert live_server.token not in page.text and "token=" not in page.text
    cookie = next(c for c in session.cookies if c.name == "quiz_report")
    assert cookie.path == "/host" and cookie.has_nonstandard_attr("HttpOnly")
    assert "samesite=strict" in page.headers["Set-Cookie"].lower()
    # The download links work with the cookie alone...
    csv_link = f"{base}/host/report.csv?table=matches"
    assert session.get(csv_link, timeout=10).status_code == 200
    # ...and nothing else: no cookie, a forged one, one signed with another token.
    assert requests.get(csv_link, timeout=10).status_code == 403
    forged = {"quiz_report": cookie.value[:-3] + "abc"}
    assert requests.get(csv_link, cookies=forged, timeout=10).status_code == 403
    from itsdangerous import TimestampSigner

    other = TimestampSigner(b"not-the-token", salt="quiz.report").sign(b"host").decode()
    assert requests.get(csv_link, cookies={"quiz_report": other}, timeout=10).status_code == 403


def test_the_host_page_grants_the_cookie_only_for_the_right_token(
    live_server: LiveServer,
) -> None:
    good = requests.get(live_server.host_url, timeout=10)
    assert good.status_code == 200 and "quiz_report" in good.cookies
    assert good.headers["Cache-Control"] == "no-store"
    bad = requests.get(f"{live_server.url}/host?token=guess", timeout=10)
    assert bad.status_code == 200 and "quiz_report" not in bad.cookies
    assert requests.get(f"{live_server.url}/host", timeout=10).cookies.get("quiz_report") is None


def test_malformed_packets_and_clean_closes_do_not_flood_the_log(live_server: LiveServer) -> None:
    before = len(live_server.output())
    # Unconnected, then connected to "/": both paths reach the packet decoder.
    for connect in (False, True):
        sock, _ = ws_open(live_server.url)
        try:
            if connect:
                auth = b'40{"v":1,"role":"display","device":"dev-0123456789abcdef"}'
                sock.sendall(ws_frame(auth))
                sock.settimeout(5)
                assert b'"state"' in sock.recv(65536)  # connected: the display's first state
            for _ in range(20):
                for pkt in (b"42", b"4", b"4x", b"43", b"4/"):
                    sock.sendall(ws_frame(pkt))
            time.sleep(0.5)
            sock.sendall(ws_frame(b"\x03\xe8", opcode=8))  # a clean close (1000)
            time.sleep(0.3)
        finally:
            sock.close()
    # A real client connecting and leaving cleanly, three times.
    for _ in range(3):
        import socketio

        client = socketio.Client(reconnection=False)
        client.connect(
            live_server.url,
            transports=["websocket"],
            auth={"v": 1, "role": "display", "device": "dev-0123456789abcdef"},
        )
        client.disconnect()
    time.sleep(1)
    assert requests.get(f"{live_server.url}/healthz", timeout=5).json()["ok"]
    log = live_server.output()[before:]
    assert "Traceback" not in log and "handler error" not in log, log[:2000]
    assert "Invalid HTTP method" not in log and "Expected GET" not in log, log[:2000]
    # 200 bad packets: at most a few throttled lines.
    assert len([line for line in log.splitlines() if line.strip()]) <= 5, log[:2000]
