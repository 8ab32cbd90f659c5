"""Tiny inline-SVG charts for the HTML report (no matplotlib, no external assets)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

WIDTH, HEIGHT = 520, 280
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 46, 46
COLORS = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2")


def _fmt(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _frame(title: str, x_label: str, y_label: str, body: list[str], css_class: str) -> str:
    return "".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css_class}" role="img" '
            f'width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}">',
            f"<title>{escape(title)}</title>",
            f'<text x="{WIDTH / 2}" y="20" text-anchor="middle" font-size="14" font-weight="600">{escape(title)}</text>',
            f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 8}" text-anchor="middle" font-size="12">{escape(x_label)}</text>',
            f'<text x="14" y="{(TOP + HEIGHT - BOTTOM) / 2}" text-anchor="middle" font-size="12" '
            f'transform="rotate(-90 14 {(TOP + HEIGHT - BOTTOM) / 2})">{escape(y_label)}</text>',
            *body,
            "</svg>",
        ]
    )


class _Axes:
    def __init__(self, x_range: tuple[float, float], y_range: tuple[float, float]) -> None:
        self.x0, self.x1 = x_range
        self.y0, self.y1 = y_range
        if self.x1 <= self.x0:
            self.x1 = self.x0 + 1
        if self.y1 <= self.y0:
            self.y1 = self.y0 + 1

    def x(self, value: float) -> float:
        return LEFT + (value - self.x0) / (self.x1 - self.x0) * (WIDTH - LEFT - RIGHT)

    def y(self, value: float) -> float:
        return HEIGHT - BOTTOM - (value - self.y0) / (self.y1 - self.y0) * (HEIGHT - TOP - BOTTOM)

    def grid(self, x_ticks: Sequence[float], y_ticks: Sequence[float]) -> list[str]:
        parts = [
            f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" stroke="#333"/>',
            f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="#333"/>',
        ]
        for tick in y_ticks:
            y = self.y(tick)
            parts.append(
                f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#e5e7eb"/>'
            )
            parts.append(
                f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{_fmt(tick)}</text>'
            )
        for tick in x_ticks:
            x = self.x(tick)
            parts.append(
                f'<line x1="{x:.1f}" y1="{HEIGHT - BOTTOM}" x2="{x:.1f}" y2="{HEIGHT - BOTTOM + 4}" stroke="#333"/>'
            )
            parts.append(
                f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 17}" text-anchor="middle" font-size="11">{_fmt(tick)}</text>'
            )
        return parts


def _nice_ticks(low: float, high: float, count: int = 5, *, integer: bool = False) -> list[float]:
    if high <= low:
        return [low]
    raw = (high - low) / count
    if integer:
        raw = max(raw, 1.0)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    return ticks


def line_chart(
    title: str,
    series: Mapping[str, Sequence[tuple[float, float]]],
    *,
    x_label: str,
    y_label: str,
    y_range: tuple[float, float] = (0.0, 1.0),
    x_ticks: Sequence[float] | None = None,
) -> str:
    points = [p for values in series.values() for p in values]
    xs = [p[0] for p in points] or [0.0, 1.0]
    axes = _Axes((min(xs), max(xs)), y_range)
    body = axes.grid(x_ticks or _nice_ticks(min(xs), max(xs)), _nice_ticks(*y_range))
    for i, (name, values) in enumerate(series.items()):
        color = COLORS[i % len(COLORS)]
        path = " ".join(f"{axes.x(x):.1f},{axes.y(y):.1f}" for x, y in values)
        body.append(
            f'<polyline class="series" fill="none" stroke="{color}" stroke-width="2" points="{path}"/>'
        )
        body.extend(
            f'<circle cx="{axes.x(x):.1f}" cy="{axes.y(y):.1f}" r="3" fill="{color}"><title>{escape(name)}: '
            f"{_fmt(x)} → {y:.3f}</title></circle>"
            for x, y in values
        )
    # Legend in one row between the title and the plot, so it never hides a line.
    legend_x = LEFT
    for i, name in enumerate(series):
        color = COLORS[i % len(COLORS)]
        body.append(f'<rect class="legend" x="{legend_x}" y="30" width="10" height="10" fill="{color}"/>')
        body.append(f'<text x="{legend_x + 14}" y="39" font-size="11">{escape(name)}</text>')
        legend_x += 24 + 7 * len(name)
    return _frame(title, x_label, y_label, body, "line")


def histogram(
    title: str,
    values: Sequence[float],
    *,
    x_label: str,
    bins: int = 10,
    x_range: tuple[float, float] | None = None,
    y_label: str = "questions",
) -> str:
    low, high = x_range if x_range is not None else (min(values, default=0.0), max(values, default=1.0))
    if high <= low:
        high = low + 1.0
    width = (high - low) / bins
    counts = [0] * bins
    for value in values:
        index = min(bins - 1, max(0, int((value - low) / width)))
        counts[index] += 1
    axes = _Axes((low, high), (0, max(counts, default=0) or 1))
    body = axes.grid(_nice_ticks(low, high), _nice_ticks(0, axes.y1, integer=True))
    for i, count in enumerate(counts):
        x_left, x_right = axes.x(low + i * width), axes.x(low + (i + 1) * width)
        y = axes.y(count)
        body.append(
            f'<rect class="bar" x="{x_left + 1:.1f}" y="{y:.1f}" width="{max(0.5, x_right - x_left - 2):.1f}" '
            f'height="{HEIGHT - BOTTOM - y:.1f}" fill="{COLORS[0]}"><title>{_fmt(low + i * width)}–'
            f"{_fmt(low + (i + 1) * width)}: {count}</title></rect>"
        )
    return _frame(title, x_label, y_label, body, "histogram")
