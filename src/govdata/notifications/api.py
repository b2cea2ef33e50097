"""A person's own notifications over JSON."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from govdata.actor import Actor
from govdata.notifications import service
from govdata.notifications.schemas import MarkedRead, NotificationList, NotificationRead
from govdata.policy import Action
from govdata.types import Id
from govdata.web.deps import Db, requires

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])


@router.get("", response_model=NotificationList)
def notifications(db: Db, unread: bool = False, before_id: Annotated[Id | None, Query()] = None,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50,
                  actor: Actor = requires(Action.NOTIFICATION_READ)) -> NotificationList:
    rows = service.list_for(db, actor, unread_only=unread, before_id=before_id, limit=limit)
    return NotificationList(notifications=[NotificationRead.model_validate(r) for r in rows],
                            unread=service.unread_count(db, user_id=actor.id or 0),
                            next_before_id=rows[-1].id if len(rows) == limit else None)


@router.post("/{notification_id}/read", response_model=NotificationRead)
def mark_read(db: Db, notification_id: Id, actor: Actor = requires(Action.NOTIFICATION_READ)) -> NotificationRead:
    return NotificationRead.model_validate(service.mark_read(db, actor, notification_id=notification_id))


@router.post("/read-all", response_model=MarkedRead)
def mark_all_read(db: Db, actor: Actor = requires(Action.NOTIFICATION_READ)) -> MarkedRead:
    return MarkedRead(marked=service.mark_all_read(db, actor))
