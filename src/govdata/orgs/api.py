"""JSON routes for regions, units and systems (thin: the service decides)."""

from __future__ import annotations

from fastapi import APIRouter

from govdata.actor import Actor
from govdata.orgs import service, views
from govdata.orgs.schemas import (
    AssessmentUpdate,
    RegionRead,
    SystemCreate,
    SystemRead,
    UnitCreate,
    UnitDetail,
    UnitRead,
)
from govdata.policy import Action
from govdata.types import Id
from govdata.web.deps import Db, requires

router = APIRouter(prefix="/api/v1", tags=["orgs"])


@router.get("/regions", response_model=list[RegionRead])
def regions(db: Db, _: Actor = requires(Action.ORG_VIEW)) -> list[RegionRead]:
    return [RegionRead.model_validate(r) for r in service.list_regions(db)]


@router.get("/units", response_model=list[UnitRead])
def units(db: Db, region_id: Id | None = None, _: Actor = requires(Action.ORG_VIEW)) -> list[UnitRead]:
    return [UnitRead.model_validate(u) for u in service.list_units(db, region_id=region_id)]


@router.post("/units", response_model=UnitRead, status_code=201)
def create_unit(db: Db, data: UnitCreate, actor: Actor = requires(Action.UNIT_MANAGE)) -> UnitRead:
    return UnitRead.model_validate(service.create_unit(db, actor, data=data))


@router.get("/units/{unit_id}", response_model=UnitDetail)
def unit(db: Db, unit_id: Id, _: Actor = requires(Action.ORG_VIEW)) -> UnitDetail:
    return views.unit_detail(db, unit_id=unit_id)


@router.get("/systems", response_model=list[SystemRead])
def systems(db: Db, unit_id: Id | None = None, _: Actor = requires(Action.ORG_VIEW)) -> list[SystemRead]:
    return [views.system_read(s) for s in service.list_systems(db, unit_id=unit_id)]


@router.post("/systems", response_model=SystemRead, status_code=201)
def register_system(db: Db, data: SystemCreate, actor: Actor = requires(Action.SYSTEM_MANAGE)) -> SystemRead:
    return views.system_read(service.register_system(db, actor, data=data))


@router.put("/systems/{system_id}/assessment", response_model=SystemRead)
def update_assessment(db: Db, system_id: Id, data: AssessmentUpdate,
                      actor: Actor = requires(Action.SYSTEM_MANAGE)) -> SystemRead:
    return views.system_read(service.update_assessment(db, actor, system_id=system_id, data=data))
