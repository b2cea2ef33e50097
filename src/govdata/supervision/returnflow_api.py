"""Return-flow applications over JSON (第九条): an area's summary with the entries lacking both an application
and a connector; one entry's application; recording a step of it; linking the connector once approved."""

from __future__ import annotations

from fastapi import APIRouter

from govdata.actor import Actor
from govdata.errors import NotFound
from govdata.policy import Action
from govdata.supervision import returnflow, service
from govdata.supervision.returnflow_schemas import (
    ApplicationIn,
    ApplicationRead,
    GapRead,
    ReturnFlowSummaryRead,
    UnitReturnFlowRead,
)
from govdata.types import Id
from govdata.web.deps import Db, requires

router = APIRouter(prefix="/returnflow")


def _counts(c: returnflow.UnitCounts) -> UnitReturnFlowRead:
    return UnitReturnFlowRead(**{name: getattr(c, name) for name in UnitReturnFlowRead.model_fields})


@router.get("", response_model=ReturnFlowSummaryRead, responses={404: {"description": "没有这个区县或单位"}})
def summary(db: Db, region_id: Id | None = None, unit_id: Id | None = None,
            actor: Actor = requires(Action.RETURN_FLOW_APPLICATION_VIEW)) -> ReturnFlowSummaryRead:
    """Per unit: entries that should come by return flow, their applications by status, connectors and those with
    neither; without `region_id`/`unit_id`, the caller's own area (bureau: city; county office: county; unit)."""
    if unit_id is not None:
        area = service.unit_area(db, unit_id=unit_id)
    elif region_id is not None:
        area = service.region_area(db, region_id=region_id)
    else:
        area = returnflow.home_area(db, actor)
    found = returnflow.summary(db, actor, area=area)
    return ReturnFlowSummaryRead(area=area.name, units=[_counts(c) for c in found.units], total=_counts(found.total),
                                 missing=[GapRead(entry_id=e.id, resource_code=e.code, name=e.name, unit_id=e.unit_id,
                                                  unit_name=unit) for e, unit in found.missing])


@router.get("/entries/{entry_id}", response_model=ApplicationRead, responses={404: {"description": "还没有申请"}})
def application(entry_id: Id, db: Db,
                actor: Actor = requires(Action.RETURN_FLOW_APPLICATION_VIEW)) -> ApplicationRead:
    found = returnflow.view_entry(db, actor, entry_id=entry_id)
    if found.application is None:
        raise NotFound("该资源还没有回流申请", field="entry_id")
    return ApplicationRead.of(found.application)


@router.put("/entries/{entry_id}", response_model=ApplicationRead)
def record_application(entry_id: Id, data: ApplicationIn, db: Db,
                       actor: Actor = requires(Action.RETURN_FLOW_APPLY)) -> ApplicationRead:
    """Record the application as it stands now (拟申请 → 已申请 → 已批准 / 已驳回; 已驳回 → 已申请 again)."""
    return ApplicationRead.of(returnflow.record_application(db, actor, entry_id=entry_id, data=data))


@router.post("/entries/{entry_id}/link", response_model=ApplicationRead)
def link_connector(entry_id: Id, db: Db, actor: Actor = requires(Action.RETURN_FLOW_APPLY)) -> ApplicationRead:
    """Link the approved application to the entry's return-flow connector."""
    return ApplicationRead.of(returnflow.link_connector(db, actor, entry_id=entry_id))
