"""Charts for the printed report, drawn as inline SVG here (no script, font or image is
fetched: the report must print the same on a laptop with no internet).

Two chart kinds: horizontal bars of rates (0-100 %) per row, one bar per series, with the
value written next to each bar so the chart still reads when printed in grey; and columns of
counts over time (phones joining an event).
Every label is escaped; numbers are formatted here, never taken from user text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
LABEL_W = 190
VALUE_W = 56
BAR_H = 14
BAR_GAP = 3
ROW_GAP = 12
TOP = 34
FONT = 12
LEGEND_W = 200


@dataclass(frozen=True)
class Series:
    name: str
    colour: str


def percent(value: float | None, none: str = "—") -> str:
    return none if value is None else f"{value * 100:.1f}%"


def text_width(text: str) -> float:
    """A rough width in px at ``FONT``: CJK and full-width characters are about square."""
    return sum(FONT if ord(ch) >= 0x2E80 else FONT * 0.6 for ch in text)


def _clip(text: str, width: float) -> str:
    """``text`` cut (with an ellipsis) to fit ``width`` px."""
    if text_width(text) <= width:
        return text
    while text and text_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def rate_bars(
    title: str,
    rows: Sequence[tuple[str, Sequence[float | None]]],
    series: Sequence[Series],
    no_data: str,
) -> Markup:
    """Grouped horizontal bars: ``rows`` are (label, one rate or None per series)."""
    for label, values in rows:
        if len(values) != len(series):
            raise ValueError(f"row {label!r} has {len(values)} values for {len(series)} series")
    plot_x = LABEL_W
    plot_w = WIDTH - LABEL_W - VALUE_W
    group_h = len(series) * BAR_H + (len(series) - 1) * BAR_GAP
    height = TOP + len(rows) * (group_h + ROW_GAP) + 18
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" font-size="{FONT}">',
        f"<title>{escape(title)}</title>",
    ]
    # Legend along the top.
    x: float = plot_x
    for s in series:
        parts.append(
            f'<rect x="{x:.1f}" y="6" width="12" height="12" fill="{escape(s.colour)}"/>'
            f'<text x="{x + 16:.1f}" y="16">{escape(_clip(s.name, LEGEND_W))}</text>'
        )
        x += 16 + text_width(_clip(s.name, LEGEND_W)) + 24
    # Grid lines at every quarter, labelled under the plot.
    grid_bottom = height - 16
    for quarter in range(5):
        gx = plot_x + plot_w * quarter / 4
        parts.append(
            f'<line x1="{gx:.1f}" y1="{TOP - 6}" x2="{gx:.1f}" y2="{grid_bottom}" '
            f'stroke="#c8c8c8" stroke-width="{1 if quarter in (0, 4) else 0.5}"/>'
            f'<text x="{gx:.1f}" y="{height - 3}" text-anchor="middle" fill="#555">'
            f"{quarter * 25}%</text>"
        )
    y = TOP
    for label, values in rows:
        mid = y + group_h / 2
        parts.append(
            f'<text x="{plot_x - 8}" y="{mid + FONT / 3:.1f}" text-anchor="end">'
            f"{escape(_clip(label, LABEL_W - 12))}</text>"
        )
        for i, (s, value) in enumerate(zip(series, values, strict=True)):
            by = y + i * (BAR_H + BAR_GAP)
            if value is None:
                parts.append(
                    f'<text x="{plot_x + 4}" y="{by + BAR_H - 3}" fill="#777" '
                    f'font-style="italic">{escape(no_data)}</text>'
                )
                continue
            bw = plot_w * min(max(value, 0.0), 1.0)
            parts.append(
                f'<rect x="{plot_x}" y="{by}" width="{bw:.1f}" height="{BAR_H}" '
                f'fill="{escape(s.colour)}"><title>{escape(s.name)}: {percent(value)}</title>'
                "</rect>"
                f'<text x="{plot_x + bw + 4:.1f}" y="{by + BAR_H - 3}">{percent(value)}</text>'
            )
        y += group_h + ROW_GAP
    parts.append("</svg>")
    return Markup("".join(parts))


def count_columns(title: str, columns: Sequence[tuple[str, int]], label_every: int = 1) -> Markup:
    """Vertical columns of counts (``columns``: (label, count) in time order), the count over
    each non-empty column; every ``label_every``-th label is written under the axis."""
    height, top, bottom, left = 170, 28, 22, 34
    plot_w, plot_h = WIDTH - left - 8, height - top - bottom
    most = max((n for _label, n in columns), default=0) or 1
    # Columns no wider than a finger's breadth: one bucket must not fill the whole chart.
    step = min(plot_w / max(1, len(columns)), 48.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" font-size="{FONT}">',
        f"<title>{escape(title)}</title>",
        f'<text x="{left}" y="14">{escape(_clip(title, WIDTH - left))}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w:.1f}" y2="{top + plot_h}" '
        'stroke="#888" stroke-width="1"/>',
    ]
    for i, (label, count) in enumerate(columns):
        x = left + i * step
        bar = plot_h * count / most
        if count:
            parts.append(
                f'<rect x="{x + step * 0.1:.1f}" y="{top + plot_h - bar:.1f}" '
                f'width="{step * 0.8:.1f}" height="{bar:.1f}" fill="#27496d">'
                f"<title>{escape(label)}: {count}</title></rect>"
                f'<text x="{x + step / 2:.1f}" y="{top + plot_h - bar - 3:.1f}" '
                f'text-anchor="middle" font-size="{FONT - 2}">{count}</text>'
            )
        if i % max(1, label_every) == 0:
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{height - 6}" text-anchor="middle" '
                f'fill="#555" font-size="{FONT - 2}">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
