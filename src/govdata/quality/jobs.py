"""Scheduled quality work: daily scans of resources with rules, scheduled comparisons, correction reminders."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from govdata import clock, policy
from govdata.audit.service import record_refusal
from govdata.catalog.models import CatalogEntry, EntryStatus, Field
from govdata.jobs.registry import job
from govdata.quality.compare import run_comparison, scheduled_actor
from govdata.quality.corrections import remind_due
from govdata.quality.models import Comparison
from govdata.quality.reports import run_scan


@job("quality.scan", every=timedelta(days=1), title="质量扫描", description="按规则扫描已注册资源并生成质量报告")
def scan_resources(ctx: Any) -> str:
    with ctx.database.read() as db:
        ids = list(db.execute(select(CatalogEntry.id).join(Field).where(
            CatalogEntry.status == EntryStatus.REGISTERED.value, Field.rules != "[]").distinct()).scalars())
    for entry_id in ids:  # one transaction per resource: a failing one does not undo the others
        with ctx.database.write() as db:
            run_scan(db, ctx.actor, entry_id=entry_id, workdays=ctx.settings.correction_workdays)
    return f"扫描 {len(ids)} 个资源"


@job("quality.compare", every=timedelta(days=1), title="定时比对", description="运行定时比对任务")
def scheduled_comparisons(ctx: Any) -> str:
    """Each scheduled comparison runs as the person who set it up: one whose grant has ended (or whose person
    is gone) is skipped, the refusal on the record, and the others go on."""
    with ctx.database.read() as db:
        found = list(db.execute(select(Comparison.id).where(Comparison.is_scheduled.is_(True))).scalars())
    ran = 0
    for comparison_id in found:
        try:
            with ctx.database.write() as db:
                comparison = db.get(Comparison, comparison_id)
                actor = scheduled_actor(db, comparison) if comparison is not None else None
                if actor is None:
                    continue
                run_comparison(db, actor, comparison_id=comparison_id)
            ran += 1
        except policy.Denied as refused:
            record_refusal(ctx.database, refused)
    return f"比对 {ran} 项，跳过 {len(found) - ran} 项"


@job("quality.correction_reminders", every=timedelta(hours=6), title="纠错到期提醒")
def correction_reminders(ctx: Any) -> str:
    with ctx.database.write() as db:
        count = remind_due(db, today=clock.today())
    return f"提醒 {count} 条纠错"
