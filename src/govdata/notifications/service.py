"""The one call every domain uses to tell people something (in-app now; e-mail later on the same call).

Rows are written in the transaction of the change that causes them, so a rolled-back change never
notifies anyone; delivery over other channels happens after commit (marked by `delivered_at`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import insert
from sqlalchemy.orm import Session

from govdata.actor import Role
from govdata.notifications.models import Notification
from govdata.orgs.service import people_with_role
from govdata.timeutil import utcnow


def notify(db: Session, *, user_ids: Iterable[int], kind: str, message: str, link: str = "",
           due_on: date | None = None) -> int:
    """Tell each of these people `message`; returns how many notifications were written."""
    now = utcnow()
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
