"""JSON routes of the incident register (第二十一条): report, record actions, close, read.

`POST /api/v1/security/incidents` with `source_kind` `audit_event` (and the event's `seq` as `source_id`) or
`switch` (the switch's id) links the report to where it came from.
"""

from __future__ import annotations

from fastapi import APIRouter

from govdata.actor import Actor
from govdata.policy import Action
from govdata.security import incidents
from govdata.security.incident_schemas import IncidentActionCreate, IncidentClose, IncidentOpen, IncidentRead
from govdata.types import Id
from govdata.web.deps import Db, requires

router = APIRouter(prefix="/api/v1/security/incidents", tags=["security"])


@router.get("", response_model=list[IncidentRead])
def list_incidents(db: Db, actor: Actor = requires(Action.INCIDENT_VIEW)) -> list[IncidentRead]:
    return [IncidentRead.of(i) for i in incidents.list_incidents(db, actor)]


@router.post("", response_model=IncidentRead, status_code=201)
def open_incident(data: IncidentOpen, db: Db, actor: Actor = requires(Action.INCIDENT_RECORD)) -> IncidentRead:
    incident = incidents.open_incident(db, actor, data=data, source_kind=data.source_kind, source_id=data.source_id)
    return IncidentRead.of(incident)


@router.get("/{incident_id}", response_model=IncidentRead)
def get_incident(incident_id: Id, db: Db, actor: Actor = requires(Action.INCIDENT_VIEW)) -> IncidentRead:
    return IncidentRead.of(incidents.view_incident(db, actor, incident_id=incident_id))


@router.post("/{incident_id}/actions", response_model=IncidentRead, status_code=201)
def record_action(incident_id: Id, data: IncidentActionCreate, db: Db,
                  actor: Actor = requires(Action.INCIDENT_RECORD)) -> IncidentRead:
    incidents.record_action(db, actor, incident_id=incident_id, data=data)
    return IncidentRead.of(incidents.get_incident(db, incident_id=incident_id))


@router.post("/{incident_id}/close", response_model=IncidentRead)
def close_incident(incident_id: Id, data: IncidentClose, db: Db,
                   actor: Actor = requires(Action.INCIDENT_RECORD)) -> IncidentRead:
    return IncidentRead.of(incidents.close_incident(db, actor, incident_id=incident_id, data=data))
