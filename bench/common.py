"""Shared benchmark helpers: machine description, percentiles, and the results document.

Every benchmark returns a Markdown section; ``python -m bench`` runs them in one process run and
rewrites ``docs/performance.md`` from their sections, so all figures in it come from one run.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
from dataclasses import dataclass
from importlib import metadata


@dataclass
class Section:
    title: str
    body: str


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": statistics.median(values),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "max": max(values),
    }


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            model = next((ln.split(":", 1)[1].strip() for ln in f if "model name" in ln), "?")
    except OSError:
        model = platform.processor() or "?"
    libs = ", ".join(
        f"{d} {_version(d)}"
        for d in ("flask-socketio", "python-socketio", "python-engineio", "gevent", "eventlet")
    )
    return (
        f"- CPU: {model}, {os.cpu_count()} cores\n"
        f"- Python {sys.version.split()[0]} on {platform.system()} {platform.release()}\n"
        f"- {libs}\n"
    )
