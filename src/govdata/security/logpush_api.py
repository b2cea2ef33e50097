"""JSON routes of the log push (第二十四条): the units' delivery settings and where each unit's push stands.

`POST /api/v1/security/logpush/targets` makes or replaces a unit's setting (the center, security);
`GET /api/v1/security/logpush/targets` lists the settings the caller may see; `GET
/api/v1/security/logpush/units/{unit_id}` is one unit's state, its recent batches and the public key that
verifies their manifests.
"""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session

from govdata.actor import Actor
from govdata.audit.sealkey import current_public
from govdata.errors import NotFound
from govdata.policy import Action
from govdata.security import logpush
from govdata.security.logpush_models import DestinationKind, LogPushTarget, Schedule
from govdata.security.logpush_schemas import (
    LogPushDeliveryRead,
    LogPushSettingIn,
    LogPushTargetRead,
    LogPushUnitRead,
)
from govdata.types import Id
from govdata.web.deps import AppSettings, Db, requires

router = APIRouter(prefix="/api/v1/security/logpush", tags=["security"])


def target_read(db: Session, target: LogPushTarget) -> LogPushTargetRead:
    return LogPushTargetRead(
        unit_id=target.unit_id, unit_name=target.unit.name, kind=DestinationKind(target.kind),
        destination=target.destination,
        schedule=Schedule(target.schedule), enabled=target.enabled, delivered_seq=target.delivered_seq,
        waiting_events=logpush.waiting_events(db, target), failures=target.failures,
        next_attempt_at=target.next_attempt_at, last_attempt_at=target.last_attempt_at,
        last_delivered_at=target.last_delivered_at, last_error=target.last_error, updated_by=target.updated_by,
        updated_at=target.updated_at)


@router.get("/targets", response_model=list[LogPushTargetRead])
def list_targets(db: Db, actor: Actor = requires(Action.LOGPUSH_VIEW)) -> list[LogPushTargetRead]:
    return [target_read(db, t) for t in logpush.list_targets(db, actor)]


@router.post("/targets", response_model=LogPushTargetRead)
def set_target(data: LogPushSettingIn, db: Db, settings: AppSettings,
               actor: Actor = requires(Action.LOGPUSH_MANAGE)) -> LogPushTargetRead:
    target = logpush.set_target(db, actor, settings, data=data)
    return target_read(db, target)


@router.get("/units/{logpush_unit_id}", response_model=LogPushUnitRead)
def unit_state(logpush_unit_id: Id, db: Db, settings: AppSettings,
               actor: Actor = requires(Action.LOGPUSH_VIEW)) -> LogPushUnitRead:
    unit, target = logpush.view_unit(db, actor, unit_id=logpush_unit_id)
    if target is None:
        raise NotFound(f"{unit.name}尚未设置日志推送", field="unit_id")
    key = current_public(settings.home_dir)
    return LogPushUnitRead(
        **target_read(db, target).model_dump(), public_key=key.hex if key else None,
        key_id=key.key_id if key else None,
        deliveries=[LogPushDeliveryRead.model_validate(d) for d in logpush.deliveries(db, target)])
