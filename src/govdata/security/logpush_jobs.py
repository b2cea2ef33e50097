"""The log push job: every few minutes, each unit whose schedule came round (or whose backoff ran out) gets
its waiting audit events (`security.logpush`)."""

from __future__ import annotations

from datetime import timedelta

from govdata.audit.sealkey import load_or_create
from govdata.jobs.registry import job
from govdata.jobs.runner import JobContext
from govdata.security.logpush import push_due


@job("security.logpush", every=timedelta(minutes=5), title="审计日志推送",
     description="把各单位的审计日志按设定推送到其目录或接收地址，失败的按退避时间重试")
def logpush(ctx: JobContext) -> str:
    """推送各单位到期的审计日志。"""
    key = load_or_create(ctx.settings.home_dir)
    results = push_due(ctx.database, ctx.settings, ctx.actor, key=key)
    if not results:
        return "没有到期的推送"
    sent = [r for r in results if r.batches]
    failed = [r for r in results if r.error]
    parts = [f"{len(results)} 个单位到期", f"送达 {sum(r.batches for r in sent)} 批共 {sum(r.events for r in sent)} 条"]
    if failed:
        parts.append(f"{len(failed)} 个单位推送失败，将按退避时间重试")
    return "；".join(parts)
