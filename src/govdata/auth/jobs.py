"""Housekeeping for sign-in state: expired sessions, long-expired tokens, stale rate counters."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from govdata import clock
from govdata.audit.service import acting
from govdata.auth.models import ApiToken, RateCounter, WebSession
from govdata.jobs.registry import job
from govdata.jobs.runner import JobContext
from govdata.policy import Action
from govdata.storage.engines import rowcount

# Expired tokens are kept a while so that "令牌已过期" (not "无效") can still be told to their holders.
TOKEN_GRACE = timedelta(days=7)
COUNTER_AGE = timedelta(days=1)


@job("auth.cleanup", every=timedelta(hours=1), title="清理过期会话与令牌")
def cleanup(ctx: JobContext) -> str:
    """删除过期的登录会话、过期超过 7 天的个人访问令牌和陈旧的限流计数。"""
    now = clock.now()
    with ctx.database.write() as db, acting(db, ctx.actor, Action.JOBS_RUN, target_type="job",
                                            target_id="auth.cleanup", medium="database") as audit:
        sessions = rowcount(db.execute(delete(WebSession).where(WebSession.expires_at < now)))
        # Only people's password-grant tokens: system credentials have their own lifecycle (revocation history).
        tokens = rowcount(db.execute(delete(ApiToken).where(ApiToken.user_id.is_not(None),
                                                            ApiToken.expires_at < now - TOKEN_GRACE)))
        counters = rowcount(db.execute(delete(RateCounter).where(RateCounter.window_start < now - COUNTER_AGE)))
        audit.row_count = sessions + tokens + counters
        audit.details = {"sessions": sessions, "tokens": tokens, "rate_counters": counters}
    return f"会话 {sessions}，令牌 {tokens}，限流计数 {counters}"
