"""The 多选 badge of a multiple-choice question on the LED wall: its CJK glyphs are taller than
the question row's line height, so the badge sets its own; checked at every wall size, in the
question and the finished phase (a match can end on a multiple-choice question)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import LiveServer
from tests.ui.conftest import DISPLAY_SIZES, overflow_problems, seated_match, settle

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_the_multiple_choice_badge_fits_at_every_wall_size(
    browser: Any, ui_server: LiveServer
) -> None:
    seated = seated_match(
        ui_server, ("甲", "乙"), rules={"pre_countdown_ms": 0}, filter={"kinds": ["multiple"]}
    )
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    led = context.new_page()
    led.goto(f"{ui_server.url}/display")
    led.click("#start-overlay")
    problems: dict[str, Any] = {}
    try:
        assert seated.host.host_command("show_question")["ok"]
        for phase in ("question", "finished"):
            if phase == "finished":
                ended = seated.host.host_command("end_match", reason="forfeit", winner="red")
                assert ended["ok"]
            led.wait_for_function("p => document.body.dataset.phase === p", arg=phase)
            assert led.inner_text("#q-meta .kind-badge") == "多选"
            for width, height in DISPLAY_SIZES:
                led.set_viewport_size({"width": width, "height": height})
                settle(led)
                found = [p for p in overflow_problems(led) if "kind-badge" in str(p.get("el"))]
                if found:
                    problems[f"{phase} {width}x{height}"] = found
    finally:
        context.close()
        seated.host.disconnect()
    assert not problems, problems
