"""Supervision's JSON routes: a month's indicators for the city, a county or a unit; a unit's late items; the
bureau's recomputing of a month. A month not yet begun, or malformed, is a 422 naming `month`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from govdata.actor import Actor
from govdata.policy import Action
from govdata.supervision import late, projects_api, returnflow_api, service, vendor_rating_api
from govdata.supervision.months import parse_month
from govdata.supervision.schemas import ComputedRead, IndicatorsRead, LateItemRead
from govdata.supervision.service import Area
from govdata.types import Id
from govdata.web.deps import Db, WriteDb, requires

router = APIRouter(prefix="/api/v1/supervision", tags=["supervision"])
MonthText = Annotated[str | None, Query(max_length=20, description="YYYY-MM（北京时间）；省略为本月")]


def _area(db: Db, actor: Actor, region_id: int | None, unit_id: int | None) -> Area:
    if unit_id is not None:
        return service.unit_area(db, unit_id=unit_id)
    if region_id is not None:
        return service.region_area(db, region_id=region_id)
    return service.home_area(db, actor)


@router.get("/indicators", response_model=IndicatorsRead, responses={404: {"description": "没有这个区县或单位"}})
def indicators(db: Db, month: MonthText = None, region_id: Id | None = None, unit_id: Id | None = None,
               actor: Actor = requires(Action.SUPERVISION_VIEW)) -> IndicatorsRead:
    """The area's units ranked with their figures and the roll-up; without `region_id`/`unit_id`, the caller's
    own area (the bureau: the city; a county office: its county; a unit: itself)."""
    area = _area(db, actor, region_id, unit_id)
    return IndicatorsRead.of(service.view(db, actor, area=area, month=parse_month(month), trend=False))


@router.get("/units/{unit_id}/late", response_model=list[LateItemRead])
def late_items(unit_id: Id, db: Db, month: MonthText = None,
               actor: Actor = requires(Action.SUPERVISION_VIEW)) -> list[LateItemRead]:
    area = service.unit_area(db, unit_id=unit_id)
    return [LateItemRead.of(i) for i in late.late_items(db, actor, area=area, month=parse_month(month))]


@router.post("/months/{month}/compute", response_model=ComputedRead)
def compute(month: Annotated[str, Path(max_length=20)], db: WriteDb,
            actor: Actor = requires(Action.SUPERVISION_COMPUTE)) -> ComputedRead:
    chosen = parse_month(month)
    return ComputedRead(month=chosen.code, units=service.compute_month(db, actor, month=chosen))


router.include_router(projects_api.router)  # IT projects (第六、二十八条): /api/v1/supervision/projects
router.include_router(returnflow_api.router)
router.include_router(vendor_rating_api.router)
