"""Sharing jobs: review deadline reminders and the overdue list (第十二条), grant expiry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from govdata import clock
from govdata.actor import Role
from govdata.jobs.registry import job
from govdata.notifications.service import notify, notify_unit
from govdata.sharing import grants
from govdata.sharing.models import RequestStatus, ShareRequest
from govdata.sharing.service import OPEN, reviewers_of
from govdata.storage.engines import rowcount
from govdata.workdays.service import workdays_between


def remind_due_requests(db: Session) -> int:
    """Remind on the last working day before the deadline, on it, and every day after it (overdue);
    at most once a day per request (`last_reminded_on`), so running the job twice changes nothing."""
    today = clock.today()
    rows = db.execute(select(ShareRequest).where(ShareRequest.status.in_(OPEN), ShareRequest.due_on.is_not(None),
                                                 (ShareRequest.last_reminded_on.is_(None))
                                                 | (ShareRequest.last_reminded_on < today))).scalars()
    sent = 0
    for req in rows:
        assert req.due_on is not None
        # Overdue is a calendar fact: the due date has passed, whatever weekday today is. Before that, remind
        # from the last working day before the deadline on.
        overdue = today > req.due_on
        if not overdue and workdays_between(db, today, req.due_on) > 1:
            continue
        claimed = db.execute(update(ShareRequest).where(
            ShareRequest.id == req.id, (ShareRequest.last_reminded_on.is_(None))
            | (ShareRequest.last_reminded_on < today)).values(last_reminded_on=today)
            .execution_options(synchronize_session=False))
        if rowcount(claimed) != 1:
            continue
        message = (f"共享申请 #{req.id}（{req.entry.name}）已超过答复期限 {req.due_on}" if overdue
                   else f"共享申请 #{req.id}（{req.entry.name}）须在 {req.due_on} 前答复")
        kind = "share.overdue" if overdue else "share.due"
        link = f"/sharing/requests/{req.id}"
        if req.status == RequestStatus.PENDING_OPINION:
            sent += notify_unit(db, unit_id=req.provider_unit_id, kind=kind, message=message, link=link,
                                due_on=req.due_on, roles=(Role.STEWARD, Role.UNIT_HEAD))
        if req.status == RequestStatus.PENDING_REVIEW or overdue:
            sent += notify(db, user_ids=reviewers_of(db, req), kind=kind, message=message, link=link, due_on=req.due_on)
    return sent


@job("sharing.reminders", every=timedelta(hours=1), title="共享申请答复提醒",
     description="共享申请答复期限提醒与逾期清单")
def reminders_job(ctx: Any) -> str:
    with ctx.database.write() as db:
        sent = remind_due_requests(db)
    return f"{sent} 条提醒"


@job("sharing.expire_grants", every=timedelta(hours=1), title="访问权限到期处理", description="到期的访问权限置为过期")
def expire_job(ctx: Any) -> str:
    with ctx.database.write() as db:
        count = grants.expire_grants(db)
    return f"{count} 项权限过期"
