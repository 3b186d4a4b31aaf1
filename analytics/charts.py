"""Charts drawn on the server as SVG (docs/adr/0085): no script, nothing loaded from elsewhere.
Readable without colour: each series has its own line dash and marker shape and is named in a
legend drawn the same way; bars carry a hatch pattern and their value as text. Every chart has a
title and description for screen readers, and its numbers are in a table beside it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 48
INK = "#212529"
GRID = "#ced4da"
# Dark enough against white for text and lines (WCAG 3:1 for graphics, 4.5:1 for the labels).
COLOURS = ("#0a58ca", "#9a4a00", "#146c43", "#6f42c1")
DASHES = ("", "8 4", "2 3", "10 3 2 3")
MARKERS = ("circle", "square", "triangle", "diamond")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>'
    if shape == "square":
        return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="{colour}"/>'
    if shape == "triangle":
        return f'<path d="M{x:.1f} {y - 4.5:.1f} L{x + 4.5:.1f} {y + 3.5:.1f} L{x - 4.5:.1f} {y + 3.5:.1f} Z" fill="{colour}"/>'
    return f'<path d="M{x:.1f} {y - 5:.1f} L{x + 5:.1f} {y:.1f} L{x:.1f} {y + 5:.1f} L{x - 5:.1f} {y:.1f} Z" fill="{colour}"/>'


def axis_ticks(values: Sequence[float], *, count: int = 4) -> list[float]:
    """The y-axis of a chart: 0 and `count` or fewer equal steps of 1, 2, 2.5 or 5 times a power of
    ten up to the first tick at or above the largest value; whole steps when every value is whole
    (no "0.5 orders")."""
    top = max((float(v) for v in values), default=0.0)
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    magnitude = 10.0 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if raw <= m * magnitude * (1 + 1e-9))
    if all(float(v).is_integer() for v in values):
        step = max(1.0, math.ceil(step))
    steps = math.ceil(top / step - 1e-9)
    return [round(step * i, 10) for i in range(steps + 1)]


def _number(value: float) -> str:
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _frame(chart_id: str, title: str, description: str, body: str) -> SafeString:
    return mark_safe(  # noqa: S308  # nosec B308 B703  # every text in `body` and here is escaped
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'role="img" aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'preserveAspectRatio="xMidYMid meet" font-family="system-ui, sans-serif" font-size="12">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>{body}</svg>')


def line_chart(*, chart_id: str, title: str, description: str, labels: Sequence[str],
               series: Sequence[Series]) -> SafeString:
    """Lines over shared x labels (days) on one y scale for the whole chart, labelled at each tick:
    put only series of the same unit in one chart. The table beside it gives the exact numbers."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count = max(len(labels), 1)
    step = plot_w / max(count - 1, 1)
    parts = []
    ticks = axis_ticks([v for line in series for v in line.values])
    top = ticks[-1]
    for tick in ticks:
        y = TOP + plot_h * (1 - tick / top)
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(f'<text class="chart-tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{INK}">'
                     f"{escape(_number(tick))}</text>")
    for index in sorted({0, count // 2, count - 1}):
        if index < len(labels):
            x = LEFT + step * index
            parts.append(f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" fill="{INK}">'
                         f"{escape(labels[index])}</text>")
    for n, line in enumerate(series):
        colour, dash, marker = COLOURS[n % 4], DASHES[n % 4], MARKERS[n % 4]
        points = [(LEFT + step * i, TOP + plot_h * (1 - (v / top))) for i, v in enumerate(line.values)]
        if points:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash_attr}/>')
            every = max(1, len(points) // 12)
            parts += [_marker(marker, x, y, colour) for i, (x, y) in enumerate(points) if i % every == 0]
        legend_x = LEFT + n * 200
        legend_y = HEIGHT - 12
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<line x1="{legend_x}" y1="{legend_y - 4}" x2="{legend_x + 28}" y2="{legend_y - 4}" '
                     f'stroke="{colour}" stroke-width="2"{dash_attr}/>')
        parts.append(_marker(marker, legend_x + 14, legend_y - 4, colour))
        parts.append(f'<text x="{legend_x + 34}" y="{legend_y}" fill="{INK}">{escape(line.name)}</text>')
    return _frame(chart_id, title, description, "".join(parts))


def bar_chart(*, chart_id: str, title: str, description: str,
              rows: Sequence[tuple[str, float, str]]) -> SafeString:
    """Horizontal bars: (label, value, value as shown). Hatched, with the value written at the end."""
    bar_h, gap, label_w = 22, 8, 200
    height = TOP + len(rows) * (bar_h + gap) + 8
    top = max((value for _label, value, _shown in rows), default=0) or 1
    plot_w = WIDTH - label_w - 96
    pattern = f"{chart_id}-hatch"
    parts = [f'<defs><pattern id="{escape(pattern)}" width="6" height="6" patternUnits="userSpaceOnUse" '
             f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#cfe2ff"/>'
             f'<line x1="0" y1="0" x2="0" y2="6" stroke="{COLOURS[0]}" stroke-width="2.5"/></pattern></defs>']
    for i, (label, value, shown) in enumerate(rows):
        y = TOP + i * (bar_h + gap)
        width = max(1.0, plot_w * value / top)
        text = label if len(label) <= 30 else label[:29] + "…"
        parts.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" fill="{INK}">{escape(text)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{width:.1f}" height="{bar_h}" '
                     f'fill="url(#{escape(pattern)})" stroke="{COLOURS[0]}"/>')
        parts.append(f'<text x="{label_w + width + 6:.1f}" y="{y + 15}" fill="{INK}">{escape(shown)}</text>')
    svg = _frame(chart_id, title, description, "".join(parts))
    return mark_safe(svg.replace(f'viewBox="0 0 {WIDTH} {HEIGHT}"', f'viewBox="0 0 {WIDTH} {height}"', 1))  # noqa: S308  # nosec B308 B703
