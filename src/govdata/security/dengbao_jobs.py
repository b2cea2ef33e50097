"""等保 expiry (第二十五条): a daily job tells a unit's head and stewards when one of its systems' assessment
expires within 60 days, and again when it has expired (its credentials then already stop working,
`auth.bearer`). Each announcement is sent once per system, expiry date and kind (`DengbaoNotice`, unique), so the
job may run every hour or twice in a row without repeating itself; a renewed assessment (a new expiry date) is
announced afresh when its own time comes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata import clock
from govdata.actor import Actor, Role
from govdata.audit.service import acting
from govdata.jobs.registry import job
from govdata.jobs.runner import JobContext
from govdata.notifications.service import notify_unit
from govdata.orgs.models import System
from govdata.policy import Action
from govdata.security.incident_models import DengbaoNotice

WARN_DAYS = 60
EXPIRING, EXPIRED = "expiring", "expired"


@dataclass(frozen=True)
class Expiring:
    system: System
    days_left: int  # negative: expired that many days ago

    @property
    def expired(self) -> bool:
        return self.days_left < 0


def expiring_systems(db: Session, *, today: date | None = None) -> list[Expiring]:
    """Active systems whose assessment expires within `WARN_DAYS` days or has expired, soonest first."""
    today = today or clock.today()
    rows = db.execute(select(System).where(System.is_active.is_(True), System.assessment_valid_until.is_not(None),
                                           System.assessment_valid_until <= today + timedelta(days=WARN_DAYS))
                      .order_by(System.assessment_valid_until, System.id)).scalars()
    return [Expiring(s, (s.assessment_valid_until - today).days) for s in rows if s.assessment_valid_until]


def expired_text(system: System) -> str:
    """The reason a person reads where the system or its credential appears."""
    return f"等保测评已于 {system.assessment_valid_until} 过期，凭证已停用"


def _message(item: Expiring) -> str:
    system = item.system
    if item.expired:
        return (f"接入系统“{system.name}”的{expired_text(system)}。请尽快完成等保测评，"
                "由大数据中心更新测评信息后恢复（第二十五条）")
    return (f"接入系统“{system.name}”的等保测评将于 {system.assessment_valid_until} 到期（还有 {item.days_left} 天），"
            "到期后其接入凭证将停止使用，请及时安排测评（第二十五条）")


def announce_expiring(db: Session, actor: Actor) -> int:
    """Send what is due and not yet sent; returns how many systems were announced."""
    today = clock.today()
    sent = 0
    for item in expiring_systems(db, today=today):
        system = item.system
        kind = EXPIRED if item.expired else EXPIRING
        already = db.execute(select(DengbaoNotice.id).where(
            DengbaoNotice.system_id == system.id, DengbaoNotice.valid_until == system.assessment_valid_until,
            DengbaoNotice.kind == kind)).first()
        if already is not None:
            continue
        with acting(db, actor, Action.DENGBAO_ANNOUNCE, target=system) as audit:
            people = notify_unit(db, unit_id=system.unit_id, kind=f"dengbao.{kind}", message=_message(item),
                                 link=f"/orgs/units/{system.unit_id}", due_on=system.assessment_valid_until,
                                 roles=(Role.UNIT_HEAD, Role.STEWARD))
            db.add(DengbaoNotice(system_id=system.id, valid_until=system.assessment_valid_until, kind=kind,
                                 sent_at=clock.now(), recipients=people))
            db.flush()
            audit.details = {"kind": kind, "valid_until": system.assessment_valid_until,
                             "days_left": item.days_left, "recipients": people}
        sent += 1
    return sent


@job("security.dengbao_expiry", every=timedelta(days=1), title="等保测评到期提醒",
     description="等保测评 60 天内到期或已过期的接入系统，提醒所属单位（每个到期日各提醒一次）")
def dengbao_expiry(ctx: JobContext) -> str:
    """等保测评到期提醒。"""
    with ctx.database.write() as db:
        sent = announce_expiring(db, ctx.actor)
    return f"已提醒 {sent} 个接入系统" if sent else "没有需要提醒的接入系统"
