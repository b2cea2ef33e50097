"""Usage records (第二十一条): who used a provider's data, for what, how often, with what result;
a consumer's grants with quotas and today's use. Read from the audit trail and the usage counters."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govdata import clock, policy
from govdata.actor import Actor
from govdata.audit.models import OUTCOMES, AuditEvent
from govdata.auth.service import people_names
from govdata.errors import BadRequest
from govdata.exports import csv_writer
from govdata.policy import Action
from govdata.sharing.models import Grant, GrantUsage
from govdata.timeutil import fmt, local_midnight_utc

PROVIDER_COLUMNS = ["目录编码", "调用系统", "调用单位ID", "用途", "批准人", "结果", "调用次数", "返回条数", "最近调用",
                    "结果代码"]
CONSUMER_COLUMNS = ["权限ID", "目录编码", "调用系统", "信息项", "每日限额", "今日调用", "累计调用", "有效期至", "状态"]


@dataclass
class UsageLine:
    resource_code: str
    caller: str  # the calling system
    caller_unit_id: int | None
    purpose: str
    approver: str  # as people read it: 单位 显示名
    outcome: str  # the audit outcome: ok, denied, limited, error
    calls: int
    rows: int
    last_at: str  # local time (Asia/Shanghai), as every page shows times

    @property
    def outcome_label(self) -> str:
        return OUTCOMES.get(self.outcome, self.outcome)


@dataclass
class GrantUse:
    grant: Grant
    today_calls: int
    total_calls: int


def provider_usage(db: Session, actor: Actor, *, unit_id: int | None = None, days: int = 30) -> list[UsageLine]:
    """Calls on this unit's resources in the last `days` days, grouped by caller, purpose and outcome."""
    since = local_midnight_utc(clock.today() - timedelta(days=days))
    e = AuditEvent
    owner = unit_id if unit_id is not None else actor.unit_id  # the supervisors pick a unit; others see their own
    query = (select(e.resource_code, e.actor_name, e.unit_id, e.purpose, e.approver, e.outcome,
                    func.count(), func.coalesce(func.sum(e.row_count), 0), func.max(e.at))
             .where(e.action == Action.SHARE_LOOKUP.value, e.owner_unit_id == owner, e.at >= since,
                    policy.where(actor, Action.USAGE_VIEW, policy.Columns(unit_id=e.owner_unit_id)))
             .group_by(e.resource_code, e.actor_name, e.unit_id, e.purpose, e.approver, e.outcome)
             .order_by(e.resource_code, e.actor_name))
    found = db.execute(query).all()
    approvers = people_names(db, [r[4] for r in found if r[4]])
    return [UsageLine(r[0] or "", r[1], r[2], r[3] or "", approvers.get(r[4] or "", r[4] or ""), r[5], int(r[6] or 0),
                      int(r[7] or 0), fmt(r[8])) for r in found]


def consumer_usage(db: Session, actor: Actor) -> list[GrantUse]:
    """The grants this unit holds as a consumer, with today's and all calls."""
    mine = policy.where(actor, Action.USAGE_VIEW, policy.Columns(unit_id=Grant.unit_id))
    grants = list(db.execute(select(Grant).where(Grant.unit_id == actor.unit_id, mine)
                             .order_by(Grant.id.desc())).scalars())
    if not grants:
        return []
    ids = [g.id for g in grants]
    today = clock.today()
    totals = dict(db.execute(select(GrantUsage.grant_id, func.sum(GrantUsage.calls))
                             .where(GrantUsage.grant_id.in_(ids)).group_by(GrantUsage.grant_id)).all())
    todays = dict(db.execute(select(GrantUsage.grant_id, GrantUsage.calls)
                             .where(GrantUsage.grant_id.in_(ids), GrantUsage.day == today)).all())
    return [GrantUse(g, int(todays.get(g.id, 0)), int(totals.get(g.id, 0) or 0)) for g in grants]


def usage_csv(db: Session, actor: Actor, *, side: str) -> str:
    out = io.StringIO()
    writer = csv_writer(out)
    if side == "provider":
        writer.writerow(PROVIDER_COLUMNS)
        for line in provider_usage(db, actor):
            writer.writerow([line.resource_code, line.caller, line.caller_unit_id, line.purpose, line.approver,
                             line.outcome_label, line.calls, line.rows, line.last_at, line.outcome])
    elif side == "consumer":
        writer.writerow(CONSUMER_COLUMNS)
        for use in consumer_usage(db, actor):
            g = use.grant
            writer.writerow([g.id, g.resource_code, g.system.name, g.fields, g.daily_quota, use.today_calls,
                             use.total_calls, g.valid_until, g.status])
    else:
        raise BadRequest("side 只能是 provider 或 consumer", field="side")
    return "\ufeff" + out.getvalue()  # BOM so that Excel opens the Chinese columns correctly


def calls_on(db: Session, *, grant_id: int, day: date) -> int:
    value = db.execute(select(GrantUsage.calls).where(GrantUsage.grant_id == grant_id, GrantUsage.day == day)).scalar()
    return int(value or 0)
