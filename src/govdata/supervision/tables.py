"""The tables of the supervision pages, defined once: the page shows them and the .xlsx export writes them, so
both carry the same names (never codes), the same figures and times in 北京时间."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from govdata.supervision.indicators import Figures
from govdata.supervision.late import LateItem
from govdata.supervision.months import Month
from govdata.supervision.service import View
from govdata.timeutil import fmt

NONE = "—"


def percent(value: float | None) -> float | str:
    return round(value * 100, 1) if value is not None else NONE


def _systems(f: Figures) -> str:
    return f"{f.systems_valid}/{f.systems}"


# (header, value of a Figures): the indicator columns every table of figures shares
INDICATORS: list[tuple[str, Callable[[Figures], Any]]] = [
    ("已注册资源", lambda f: f.entries_registered),
    ("有数据资源", lambda f: f.entries_with_data),
    ("按时更新率(%)", lambda f: percent(f.load_rate)),
    ("质量得分", lambda f: percent(f.quality_score)),
    ("共享申请按时答复率(%)", lambda f: percent(f.share_rate)),
    ("纠错按时答复率(%)", lambda f: percent(f.corrections_rate)),
    ("开放需求按时答复率(%)", lambda f: percent(f.demands_rate)),
    ("专管员人数", lambda f: f.stewards),
    ("专管员与科室已登记单位", lambda f: f"{f.units_registered}/{f.units}"),
    ("等保有效系统/系统", _systems),
    ("缺少备案资源", lambda f: f.filings_missing),
    ("综合得分", lambda f: percent(f.score)),
]

# (header, value): the ratios a chart draws, and the indicator each stands for
RATIOS: list[tuple[str, Callable[[Figures], float | None]]] = [
    ("按时更新率", lambda f: f.load_rate), ("质量得分", lambda f: f.quality_score),
    ("共享按时答复", lambda f: f.share_rate), ("纠错按时答复", lambda f: f.corrections_rate),
    ("需求按时答复", lambda f: f.demands_rate), ("专管员与科室", lambda f: f.registered_rate),
    ("等保有效率", lambda f: f.systems_rate), ("备案完成率", lambda f: f.filings_rate),
]


@dataclass
class Table:
    name: str  # the sheet's name
    header: list[str]
    rows: list[list[Any]]
    links: list[str | None]  # per row: the page its name links to
    link_column: int = 1  # which cell (from 1) carries the link


def ranking(view: View) -> Table:
    header = ["排名", "单位", "所属区域"] + [h for h, _ in INDICATORS]
    rows = [[r.rank, r.name, r.region] + [value(r.figures) for _, value in INDICATORS] for r in view.rows]
    return Table("排名", header, rows, [f"/supervision/units/{r.unit_id}" for r in view.rows], 2)


def regions(view: View) -> Table:
    header = ["区域", "单位数"] + [h for h, _ in INDICATORS]
    rows = [[area.name, f.units] + [value(f) for _, value in INDICATORS] for area, f in view.regions]
    links = [f"/supervision/regions/{area.region_id}" if area.kind == "region" else None for area, _ in view.regions]
    return Table("区县汇总", header, rows, links)


def trend(view: View) -> Table:
    header = ["月份"] + [h for h, _ in INDICATORS]
    rows = [[m.label] + ([value(f) for _, value in INDICATORS] if f else [NONE] * len(INDICATORS))
            for m, f in view.trend]
    return Table("逐月趋势", header, rows, [None] * len(rows))


def late(items: list[LateItem]) -> Table:
    header = ["类别", "事项", "期限", "答复或最近汇聚时间（北京时间）"]
    rows = [[i.kind_label, i.name, i.due_on.isoformat() if i.due_on else NONE, fmt(i.answered_at) or "未答复"]
            for i in items]
    return Table("逾期事项", header, rows, [None for _ in items])


def summary(view: View) -> Table:
    """The report's first sheet: the area's roll-up, one indicator a row."""
    rows: list[list[Any]] = [["范围", view.area.name], ["月份", view.month.label],
            ["数据截至（北京时间）", fmt(view.as_of)],
            ["计算时间（北京时间）", fmt(view.computed_at) if view.computed_at else "即时计算"],
            ["单位数", view.total.units]]
    rows += [[h, value(view.total)] for h, value in INDICATORS]
    return Table("概况", ["项目", "数值"], rows, [None] * len(rows))


def month_options(months: list[Month]) -> list[tuple[str, str]]:
    return [(m.code, m.label) for m in reversed(months)]
