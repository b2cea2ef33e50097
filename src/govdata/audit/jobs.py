"""The hourly seal of the audit chain (`sealing`): a trail rewritten by someone holding only the database is
caught back to the last seal, so at most the last hour's events stand unsealed."""

from __future__ import annotations

from datetime import timedelta

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
