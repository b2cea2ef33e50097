"""Coordinates for the inline SVG line charts drawn by `quality/_chart.html` (no JavaScript library)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    points: str  # "x,y x,y ..." for <polyline>
    dots: list[tuple[float, float, str, float]]  # x, y, label, value
    gridlines: list[tuple[float, str]]  # y, label
    pad: int


def line_chart(series: list[tuple[str, float]], *, width: int = 640, height: int = 180, pad: int = 36) -> Chart:
    """Values in 0..1 over their labels, oldest first."""
    inner_w, inner_h = width - 2 * pad, height - 2 * pad
    step = inner_w / max(len(series) - 1, 1)
    dots = []
    for i, (label, value) in enumerate(series):
        x = pad + (i * step if len(series) > 1 else inner_w / 2)
        y = pad + (1 - max(0.0, min(1.0, value))) * inner_h
        dots.append((round(x, 1), round(y, 1), label, value))
    grid = [(round(pad + (1 - v) * inner_h, 1), f"{int(v * 100)}") for v in (0.0, 0.5, 1.0)]
    return Chart(width, height, " ".join(f"{x},{y}" for x, y, _, _ in dots), dots, grid, pad)
