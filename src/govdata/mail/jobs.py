"""The e-mail jobs: queue the reminders owed now, and deliver the outbox (with backoff on failures)."""

from __future__ import annotations

from datetime import timedelta

from govdata.jobs.registry import job
from govdata.jobs.runner import JobContext
from govdata.mail.outbox import deliver_due
from govdata.mail.reminders import remind_all


@job("mail.reminders", every=timedelta(minutes=15), title="待办提醒邮件",
     description="工作日向各人发送待办摘要，并对今日到期或已逾期的事项发送提醒（每项每天一次）")
def reminders(ctx: JobContext) -> str:
    """把应发的提醒邮件放入发送队列。"""
    run = remind_all(ctx.database, ctx.settings, ctx.actor)
    if run.skipped:
        return run.skipped
    return f"检查 {run.people} 人；待办摘要 {run.digests} 封，到期提醒 {run.due} 封已放入发送队列"


@job("mail.deliver", every=timedelta(minutes=1), title="发送提醒邮件",
     description="把发送队列中的邮件交给邮件服务器；被拒收或超时的留在队列中，按退避时间重试")
def deliver(ctx: JobContext) -> str:
    """发送队列中到期的邮件。"""
    if not ctx.settings.mail_enabled:
        return "未配置邮件服务器（GOVDATA_SMTP_HOST），不发送邮件"
    run = deliver_due(ctx.database, ctx.settings, ctx.actor)
    parts = [f"发送 {run.sent} 封"]
    if run.failed:
        parts.append(f"{run.failed} 封失败，留在队列中按退避时间重试（{run.errors[-1]}）")
    return "；".join(parts)
