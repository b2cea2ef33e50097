"""Usage records (第二十一条): who used a provider's data, for what, how often, with what result;
a consumer's grants with quotas and today's use. Read from the audit trail and the usage counters."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from govdata import clock, policy
from govdata.actor import Actor, Role
from govdata.audit.models import OUTCOMES, AuditEvent
from govdata.auth.service import people_names
from govdata.errors import BadRequest
from govdata.exports import csv_writer
from govdata.orgs.models import Unit
from govdata.policy import Action
from govdata.sharing.grants import entry_names, status_label
from govdata.sharing.models import Grant, GrantUsage
from govdata.timeutil import fmt, local_midnight_utc

# Names first, as people read them; codes follow for anyone matching rows by program.
PROVIDER_COLUMNS = ["目录编码", "提供单位", "调用系统", "调用单位", "用途", "批准人", "结果", "调用次数", "返回条数",
                    "最近调用（北京时间）", "调用单位ID", "结果代码"]
CONSUMER_COLUMNS = ["权限编号", "目录编码", "调用系统", "信息项", "每日限额", "今日调用", "累计调用", "有效期至",
                    "状态", "信息项代码", "状态代码"]


@dataclass
class UsageLine:
    resource_code: str
    owner: str  # the providing unit's name
    caller: str  # the calling system
    caller_unit_id: int | None
    caller_unit: str
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


def scope(actor: Actor) -> str:
    """Whose use `actor` sees (the rule is `policy`'s USAGE_VIEW): 全市, 本县（市、区） or 本单位."""
    if policy.sees_all(actor, Action.USAGE_VIEW):
        return "全市"
    return "本县（市、区）" if actor.has(Role.COUNTY_OFFICE) else "本单位"


def _scoped(actor: Actor, owner_unit: Any, action: Action = Action.USAGE_VIEW) -> ColumnElement[bool]:
    """The policy's `action` over a column holding the providing unit (its county looked up beside it)."""
    region = select(Unit.region_id).where(Unit.id == owner_unit).scalar_subquery()
    return policy.where(actor, action, policy.Columns(unit_id=owner_unit, unit_region_id=region))


def provider_usage(db: Session, actor: Actor, *, unit_id: int | None = None, days: int = 30) -> list[UsageLine]:
    """Calls on the resources `actor` may see the use of (a unit's own, a county's, the whole city's) in the
    last `days` days, grouped by provider, resource, caller, purpose and outcome; `unit_id` narrows to one
    providing unit."""
    since = local_midnight_utc(clock.today() - timedelta(days=days))
    e = AuditEvent
    query = (select(e.resource_code, e.owner_unit_id, e.actor_name, e.unit_id, e.purpose, e.approver, e.outcome,
                    func.count(), func.coalesce(func.sum(e.row_count), 0), func.max(e.at))
             .where(e.action == Action.SHARE_LOOKUP.value, e.at >= since, _scoped(actor, e.owner_unit_id))
             .group_by(e.resource_code, e.owner_unit_id, e.actor_name, e.unit_id, e.purpose, e.approver, e.outcome)
             .order_by(e.owner_unit_id, e.resource_code, e.actor_name))
    if unit_id is not None:
        query = query.where(e.owner_unit_id == unit_id)
    found = db.execute(query).all()
    approvers = people_names(db, [r[5] for r in found if r[5]])
    units: dict[int | None, str] = dict(db.execute(select(Unit.id, Unit.name)).all())
    return [UsageLine(r[0] or "", units.get(r[1], ""), r[2], r[3], units.get(r[3], ""), r[4] or "",
                      approvers.get(r[5] or "", r[5] or ""), r[6], int(r[7] or 0), int(r[8] or 0), fmt(r[9]))
            for r in found]


def calls_by_day(db: Session, actor: Actor, *, days: int = 30,
                 action: Action = Action.USAGE_VIEW) -> list[tuple[str, float]]:
    """Successful share calls per local day over the last `days` days (every day, none left out), on the
    resources `actor` may `action` (see the use of, or the city overview): the counters each call keeps,
    never the trail itself."""
    today = clock.today()
    first = today - timedelta(days=days - 1)
    query = (select(GrantUsage.day, func.sum(GrantUsage.calls)).join(Grant, Grant.id == GrantUsage.grant_id)
             .where(GrantUsage.day >= first, _scoped(actor, Grant.provider_unit_id, action))
             .group_by(GrantUsage.day))
    counts = {d: int(n or 0) for d, n in db.execute(query).all()}
    return [((first + timedelta(days=i)).isoformat(), float(counts.get(first + timedelta(days=i), 0)))
            for i in range(days)]


def consumer_usage(db: Session, actor: Actor) -> list[GrantUse]:
    """The grants this unit holds as a consumer, with today's and all calls."""
    grants = list(db.execute(select(Grant).where(Grant.unit_id == actor.unit_id, _scoped(actor, Grant.unit_id))
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
            writer.writerow([line.resource_code, line.owner, line.caller, line.caller_unit, line.purpose,
                             line.approver, line.outcome_label, line.calls, line.rows, line.last_at,
                             line.caller_unit_id, line.outcome])
    elif side == "consumer":
        writer.writerow(CONSUMER_COLUMNS)
        uses = consumer_usage(db, actor)
        names = entry_names(db, [u.grant for u in uses])
        for use in uses:
            g = use.grant
            entry = names.get(g.entry_id)
            writer.writerow([g.id, g.resource_code, g.system.name, entry.fields(g.fields) if entry else g.fields,
                             g.daily_quota, use.today_calls, use.total_calls, g.valid_until,
                             status_label(g.status), g.fields, g.status])
    else:
        raise BadRequest("side 只能是 provider 或 consumer", field="side")
    return "\ufeff" + out.getvalue()  # BOM so that Excel opens the Chinese columns correctly


def calls_on(db: Session, *, grant_id: int, day: date) -> int:
    value = db.execute(select(GrantUsage.calls).where(GrantUsage.grant_id == grant_id, GrantUsage.day == day)).scalar()
    return int(value or 0)
