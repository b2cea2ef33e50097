"""Coordinates for the server-drawn SVG charts of `quality/_chart.html` (no JavaScript library).

Charts are drawn in their own units and sized by their viewBox, so they scale to the card they sit in.
A line chart runs over labelled points, oldest first (dates read as local days, `YYYY-MM-DD`); a bar chart
is one bar per labelled value. Values are shares (0..1, shown as percentages) unless a chart is told it
counts (`counts=True`: the axis runs to a round number above the largest value).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_TICKS = 6


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    points: str  # "x,y x,y ..." for <polyline>
    dots: list[tuple[float, float, str, str]]  # x, y, label, value as shown
    gridlines: list[tuple[float, str]]  # y, label
    pad: int
    ticks: list[tuple[float, str]]  # x, label under the axis


@dataclass(frozen=True)
class Bar:
    y: float
    width: float
    label: str
    value: str
    tone: str  # ok | warn | bad | plain: the bar's colour class


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    label_width: int
    row: int
    bars: list[Bar]


def _top(values: list[float], counts: bool) -> float:
    """The axis maximum: 1 for shares, a round number at or above the largest count."""
    if not counts:
        return 1.0
    largest = max(values, default=0.0)
    if largest <= 2:
        return 2.0  # the middle gridline still a whole number
    magnitude = 10 ** math.floor(math.log10(largest))
    for step in (1, 2, 5, 10):
        if step * magnitude >= largest:
            return float(step * magnitude)
    return float(10 * magnitude)  # pragma: no cover - the loop always returns


def shown(value: float, counts: bool) -> str:
    return f"{int(round(value))}" if counts else f"{round(value * 100, 1)}"


def _tick_label(label: str) -> str:
    """`2026-12-05` or `2026-12-05 10:30` → `12-05` (the full text is in the hover text); others as they are."""
    if len(label) >= 10 and label[4] == "-" and label[7] == "-" and label[:4].isdigit():
        return label[5:10]
    return label


def _tick_indexes(n: int) -> list[int]:
    if n <= MAX_TICKS:
        return list(range(n))
    step = (n - 1) / (MAX_TICKS - 1)
    return sorted({round(i * step) for i in range(MAX_TICKS)})


def line_chart(series: list[tuple[str, float]], *, counts: bool = False, width: int = 640, height: int = 200,
               pad: int = 40) -> Chart:
    """Values over their labels, oldest first."""
    inner_w, inner_h = width - 2 * pad, height - 2 * pad
    top = _top([v for _, v in series], counts)
    step = inner_w / max(len(series) - 1, 1)
    dots = []
    for i, (label, value) in enumerate(series):
        x = pad + (i * step if len(series) > 1 else inner_w / 2)
        y = pad + (1 - max(0.0, min(1.0, value / top))) * inner_h
        dots.append((round(x, 1), round(y, 1), label, shown(value, counts)))
    grid = [(round(pad + (1 - f) * inner_h, 1), shown(f * top, counts)) for f in (0.0, 0.5, 1.0)]
    ticks = [(dots[i][0], _tick_label(dots[i][2])) for i in _tick_indexes(len(dots))]
    return Chart(width, height, " ".join(f"{x},{y}" for x, y, _, _ in dots), dots, grid, pad, ticks)


def bar_chart(rows: list[tuple[str, float, str]], *, counts: bool = False, width: int = 420,
              label_width: int = 150, row: int = 30) -> BarChart:
    """One horizontal bar per (label, value, tone), in the order given."""
    top = _top([v for _, v, _ in rows], counts)
    room = width - label_width - 60  # the value is written after its bar
    bars = [Bar(y=i * row + 4, width=round(max(0.0, min(1.0, value / top)) * room, 1), label=label,
                value=shown(value, counts), tone=tone) for i, (label, value, tone) in enumerate(rows)]
    return BarChart(width, max(len(rows), 1) * row + 8, label_width, row, bars)


def score_tone(score: float) -> str:
    """The colour a quality score is shown in everywhere (tags and bars): ≥95 ok, ≥80 warn, else bad."""
    return "ok" if score >= 0.95 else ("warn" if score >= 0.8 else "bad")
