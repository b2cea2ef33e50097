"""Datastore jobs: return-flow pulls when due, and the daily freshness reminders."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from govdata.datastore.freshness import notify_overdue
from govdata.datastore.returnflow import due_connectors, run_connector
from govdata.jobs.registry import job


@job("return_flow", every=timedelta(minutes=5), title="数据回流")
def pull_return_flows(ctx: Any) -> str:
    """回流：拉取到期的上游数据（失败按指数退避重试）"""
    done, failed = 0, 0
    for entry_id in due_connectors(ctx.database):
        result = run_connector(ctx.database, ctx.actor, entry_id=entry_id)
        if result is None or result.status not in ("loaded", "partial"):
            failed += 1
        else:
            done += 1
    return f"{done} 个回流成功，{failed} 个失败"


@job("datastore_freshness", every=timedelta(days=1), title="数据更新逾期提醒")
def remind_overdue(ctx: Any) -> str:
    """数据更新逾期提醒（专管员与大数据局）"""
    with ctx.database.write() as db:
        sent = notify_overdue(db)
    return f"{sent} 个资源逾期已提醒"
