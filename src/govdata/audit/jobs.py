"""The hourly seal of the audit chain (`sealing`): a trail rewritten by someone holding only the database is
caught back to the last seal, so at most the last hour's events stand unsealed."""

from __future__ import annotations

from datetime import timedelta

from govdata import clock
from govdata.audit import partitions
from govdata.audit.sealing import seal_chain
from govdata.audit.sealkey import load_or_create
from govdata.jobs.registry import job
from govdata.jobs.runner import JobContext


@job("audit.seal", every=timedelta(hours=1), title="审计链封印",
     description="封印审计链：签名记录最后一条事件的序号与哈希")
def seal(ctx: JobContext) -> str:
    """封印审计链（没有新事件时不封印）。"""
    key = load_or_create(ctx.settings.home_dir)
    with ctx.database.write() as db:
        made = seal_chain(db, ctx.actor, key=key)
        if made is None:
            return "没有新的审计事件，未封印"
        return f"已封印至序号 {made.seq}（密钥 {made.key_id}）"


@job("audit.partitions", every=timedelta(days=1), title="审计日志分区",
     description="PostgreSQL：提前建立本月及之后三个月的审计日志分区（按月分区，便于按月清理）")
def make_partitions(ctx: JobContext) -> str:
    """建立本月及之后三个月的审计日志分区（SQLite 无需分区）。"""
    with ctx.database.write() as db:
        if not partitions.is_partitioned(db.connection()):
            return "数据库未分区（SQLite），无需处理"
        made = partitions.ensure_months(db.connection(), clock.today())
    return f"已建立分区：{'、'.join(made)}" if made else "所需分区均已存在"
