"""Supervision's scheduled work: keep the stored monthly figures current."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from govdata.jobs.registry import job
from govdata.supervision.models import MonthlyFigures
from govdata.supervision.months import current
from govdata.supervision.service import compute_month


@job("supervision.monthly", every=timedelta(days=1), title="监督检查指标计算",
     description="计算本月各单位监督检查指标，并补全上月的月末指标")
def monthly_figures(ctx: Any) -> str:
    """The current month's figures as of now; the month before is closed too (its figures taken at its end)
    until stored so, so a job that missed the turn of the month still leaves every month complete."""
    month = current()
    before = month.before()
    done = []
    with ctx.database.read() as db:
        taken = db.execute(select(func.min(MonthlyFigures.as_of)).where(MonthlyFigures.month == before.code)).scalar()
    if taken is None or taken < before.end_utc:
        with ctx.database.write() as db:
            done.append(f"{before.label} {compute_month(db, ctx.actor, month=before)} 个单位")
    with ctx.database.write() as db:
        done.append(f"{month.label} {compute_month(db, ctx.actor, month=month)} 个单位")
    return "；".join(done)
