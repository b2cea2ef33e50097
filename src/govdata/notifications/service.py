"""The one call every domain uses to tell people something in the platform.

Rows are written in the transaction of the change that causes them, so a rolled-back change never
notifies anyone. E-mail is not sent per notice: the work a notice announces is in the person's to-do, and
`govdata.mail` mails the to-do itself (a daily digest, and a message for what is due today or overdue) through
its outbox, written in the transaction that decides to send and delivered by a job after commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from govdata import clock, policy
from govdata.actor import Actor, Role
from govdata.audit.service import acting
from govdata.errors import NotFound
from govdata.notifications.models import Notification
from govdata.notifications.schemas import NotificationRead
from govdata.orgs.service import people_with_role
from govdata.policy import Action
from govdata.storage.driversql import driver_time, execute
from govdata.storage.engines import rowcount

# Notices that ask for work: the to-do list (`govdata.todo`) shows that work from the items' own state, so these
# are kept off the notice list and its badge (they stay for delivery over other channels and the API).
WORK_KINDS = frozenset({"share.opinion", "share.review", "share.due", "share.overdue", "grant.activate",
                        "catalog.filing", "correction.reported", "correction.due", "open.application",
                        "open.demand"})


def notify(db: Session, *, user_ids: Iterable[int], kind: str, message: str, link: str = "",
           due_on: date | None = None) -> int:
    """Tell each of these people `message`; returns how many notifications were written."""
    now = clock.now()
    rows = [{"user_id": uid, "kind": kind, "message": message, "link": link, "due_on": due_on,
             "created_at": now} for uid in dict.fromkeys(user_ids)]
    if rows:
        db.execute(insert(Notification), rows)
    return len(rows)


def notify_unit(db: Session, *, unit_id: int, kind: str, message: str, link: str = "",
                due_on: date | None = None, roles: Iterable[Role] = (Role.STEWARD,)) -> int:
    """Tell a unit's people in these roles (by default its data stewards)."""
    user_ids = [u.id for role in roles for u in people_with_role(db, unit_id=unit_id, role=role)]
    return notify(db, user_ids=user_ids, kind=kind, message=message, link=link, due_on=due_on)


_table: Table = Notification.__table__  # type: ignore[assignment]
# Built once: this is the audit bench's service call, so statement construction is worth skipping.
_READ_COLUMNS = ("id", "user_id", "kind", "message", "link", "due_on", "created_at", "read_at")
_ONE = select(*(_table.c[name] for name in _READ_COLUMNS)).where(_table.c.id == bindparam("nid"))
_MARK = update(_table).where(_table.c.id == bindparam("nid")).values(read_at=bindparam("read_at"))


def unread_count(db: Session, *, user_id: int, informational: bool = False) -> int:
    """One COUNT on (user_id, read_at): cheap enough for every page header. `informational`: only notices
    that ask for no work (the header's badge; work is counted beside its queue in the navigation)."""
    query = select(func.count()).select_from(Notification).where(Notification.user_id == user_id,
                                                                  Notification.read_at.is_(None))
    if informational:
        query = query.where(Notification.kind.not_in(WORK_KINDS))
    return int(db.execute(query).scalar_one())


def list_for(db: Session, actor: Actor, *, unread_only: bool = False, before_id: int | None = None,
             limit: int = 50, informational: bool = False) -> list[Notification]:
    """The caller's own notifications, newest first, keyset-paged by id (`informational`: without work)."""
    policy.require_role(actor, Action.NOTIFICATION_READ)
    query = select(Notification).where(policy.where(actor, Action.NOTIFICATION_READ, Notification))
    if informational:
        query = query.where(Notification.kind.not_in(WORK_KINDS))
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if before_id is not None:
        query = query.where(Notification.id < before_id)
    return list(db.execute(query.order_by(Notification.id.desc()).limit(max(1, min(limit, 200)))).scalars())


def mark_read(db: Session, actor: Actor, *, notification_id: int) -> NotificationRead:
    """Mark one of the caller's notifications read (someone else's is "not found", not "forbidden").

    Driver SQL, not ORM or Core: it is the cheapest audited write there is and the audit bench measures it.
    """
    conn = db.connection()
    cursor = execute(conn, _ONE, {"nid": notification_id})
    try:
        found = cursor.fetchone()
    finally:
        cursor.close()
    read = None if found is None else NotificationRead.model_validate(dict(zip(_READ_COLUMNS, found, strict=True)))
    if read is None or not policy.can(actor, Action.NOTIFICATION_READ, read):
        raise NotFound("通知不存在", field="notification_id")
    with acting(db, actor, Action.NOTIFICATION_READ, target=read, target_type="notification", medium="screen"):
        if read.read_at is None:
            read.read_at = clock.now()
            execute(conn, _MARK, {"nid": read.id, "read_at": driver_time(read.read_at, conn.dialect)}).close()
    return read


def mark_all_read(db: Session, actor: Actor) -> int:
    with acting(db, actor, Action.NOTIFICATION_READ, target=policy.Mine(actor.id, actor.unit_id),
                target_type="notification", target_id="all",
                medium="screen") as audit:
        done = rowcount(db.execute(update(Notification).where(
            policy.where(actor, Action.NOTIFICATION_READ, Notification), Notification.read_at.is_(None))
            .values(read_at=clock.now())))
        audit.row_count = done
    return done
