"""The security dashboard's "最近一次备份" panel: bad when the last run failed, when no good backup exists, or
when the last good one is more than two days old (the daily job has missed twice)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from govdata import clock, policy
from govdata.actor import Actor
from govdata.policy import Action
from govdata.security.backup import last_runs
from govdata.security.dashboard import Level, Panel, register_panel
from govdata.timeutil import fmt

STALE = timedelta(days=2)
TITLE = "最近一次备份"


@register_panel
def last_backup(db: Session, actor: Actor) -> Panel | None:
    if not policy.can(actor, Action.BACKUP_VIEW):
        return None
    last, good = last_runs(db)
    if last is None or good is None:
        lines = [("状态", "从未成功备份")]
        if last is not None:
            lines.append(("最近一次失败", f"{fmt(last.started_at)}：{last.error[:200]}"))
        return Panel(TITLE, "bad", lines)
    level: Level = "ok"
    lines = [("成功于", fmt(good.finished_at)), ("大小", f"{good.size / 1024 / 1024:.1f} MB"),
             ("文件", good.path), ("sha256", good.sha256)]
    if clock.now() - good.finished_at > STALE:
        level = "bad"
        lines.insert(0, ("状态", "超过 2 天没有成功的备份"))
    if last.status != "ok":
        level = "bad"
        lines.insert(0, ("最近一次失败", f"{fmt(last.started_at)}：{last.error[:200]}"))
    return Panel(TITLE, level, lines)
