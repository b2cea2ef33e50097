"""The supervision dashboards' charts, drawn on the server as SVG with quality's chart style
(`quality/charts.py`, `quality/_chart.html`): indicator ratios as bars, the overall score month by month."""

from __future__ import annotations

from dataclasses import dataclass

from govdata.quality.charts import BarChart, Chart, bar_chart, line_chart, score_tone
from govdata.supervision.service import View
from govdata.supervision.tables import RATIOS


@dataclass(frozen=True)
class Charts:
    ratios: BarChart | None  # the area's indicators this month
    areas: BarChart | None  # the city's counties (city) or the units inside (county) by overall score
    trend: Chart | None  # the overall score over the last 12 months


def charts_of(view: View, *, most: int = 15) -> Charts:
    ratios = [(label, value, score_tone(value)) for label, ratio in RATIOS
              if (value := ratio(view.total)) is not None]
    if view.area.kind == "city":
        parts = [(area.name, f.score, score_tone(f.score)) for area, f in view.regions if f.score is not None]
    elif view.area.kind == "region":
        parts = [(r.name, r.figures.score, score_tone(r.figures.score)) for r in view.rows[:most]
                 if r.figures.score is not None]
    else:
        parts = []
    points = [(m.code, f.score) for m, f in view.trend if f is not None and f.score is not None]
    return Charts(ratios=bar_chart(ratios, label_width=110) if ratios else None,
                  areas=bar_chart(parts, label_width=150) if parts else None,
                  trend=line_chart(points, width=420, height=220, pad=36) if points else None)
