"""Run a coroutine to completion from synchronous test code, whatever the calling thread.

Playwright's sync API keeps an asyncio loop running in the main thread for as long as a
session-wide browser is open, and ``asyncio.run`` refuses to start inside a running loop. Tests
that drive asyncio clients therefore run their coroutine on a fresh loop in a worker thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="asyncio-test") as pool:
        return pool.submit(asyncio.run, coro).result()
