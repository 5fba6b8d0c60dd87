"""Finding 9 of issue #15: per-device server state stays bounded whatever device ids phones
invent (the remembered acks, the gate's buckets and locks, the console's round trips, fair
buzzing's sync maps, the per-address counters)."""

from __future__ import annotations

import tracemalloc

from quiz.live.addresses import MAX_ADDRESSES, Addresses
from quiz.live.console import RTT_DEVICES
from quiz.live.fairness import MAX_PHONES
from quiz.live.gate import MAX_SENDERS
from quiz.live.hub import LiveHub
from quiz.live.ledger import MAX_SENDERS as MAX_ACK_SENDERS

IDS = 10_000


def test_ten_thousand_device_ids_leave_every_map_bounded(hub: LiveHub) -> None:
    gate, ledger, fair, console = hub.gate, hub.ledger, hub.fair, hub.host_console
    tracemalloc.start()
    try:
        for n in range(IDS):
            key = f"audience:fake-{n:05}"
            with gate.lock_for(key):
                for c in range(3):
                    gate.allow(key, n)
                    ledger.remember(key, f"c{c}", {"ok": True, "seq": n})
            console.record_rtt(f"fake-{n:05}", 12.5)
            fair.sync(f"sid-{n}", f"fake-{n:05}", 1.0, n, n + 1, None, 30.0)
            fair.sync(f"sid-{n}", f"fake-{n:05}", 2.0, n + 5, n + 6, (1.0, 3.0), 30.0)
        grown, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    sizes = {
        "acks": len(ledger._senders),
        "locks": len(gate._locks),
        "buckets": len(gate._buckets),
        "rtt": len(console._rtt),
        "syncs": len(fair.syncs),
        "turnarounds": len(fair.turnarounds),
        "hints": len(fair.rtt_hints),
        "answered": len(fair._answered),
    }
    assert sizes["acks"] <= MAX_ACK_SENDERS, sizes
    assert max(sizes["locks"], sizes["buckets"]) <= MAX_SENDERS, sizes
    assert sizes["rtt"] <= RTT_DEVICES, sizes
    assert max(sizes["syncs"], sizes["turnarounds"], sizes["hints"]) <= MAX_PHONES, sizes
    assert sizes["answered"] <= MAX_PHONES, sizes
    # What stays is a few thousand small entries: megabytes, not the ids' worth.
    assert grown < 16 * 1024 * 1024, grown


def test_ten_thousand_addresses_leave_the_counters_bounded() -> None:
    addresses = Addresses()
    for n in range(3 * MAX_ADDRESSES):
        label = addresses.label(f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}")
        addresses.new_phone(label, f"phone-{n}", float(n))
        addresses.allow_command(label, float(n))
    assert len(addresses) == MAX_ADDRESSES
