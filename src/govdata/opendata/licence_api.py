"""JSON routes of commercial development under /api/v1/open (第二十条): the bureau records selections, makes
each one's licence and records revenue; anyone lists the licences in force."""

from __future__ import annotations

from fastapi import APIRouter

from govdata.actor import Actor
from govdata.opendata import licences
from govdata.opendata.licence_schemas import (
    LicenceDetail,
    LicenceRead,
    RevenueRead,
    RevenueRecord,
    SelectionRead,
    SelectionRecord,
    licence_detail,
    licence_read,
)
from govdata.policy import Action
from govdata.types import Id
from govdata.web.deps import Db, open_to, requires

router = APIRouter(prefix="/api/v1/open", tags=["opendata"])


@router.post("/selections", response_model=SelectionRead, status_code=201)
def record_selection(data_in: SelectionRecord, db: Db,
                     actor: Actor = requires(Action.OPEN_LICENCE_MANAGE)) -> SelectionRead:
    return SelectionRead.of(licences.record_selection(db, actor, data=data_in))


@router.get("/selections", response_model=list[SelectionRead])
def list_selections(db: Db, actor: Actor = requires(Action.OPEN_LICENCE_MANAGE)) -> list[SelectionRead]:
    return [SelectionRead.of(s) for s in licences.list_selections(db, actor)]


@router.post("/selections/{selection_id}/licence", response_model=LicenceDetail, status_code=201)
def create_licence(selection_id: Id, db: Db, actor: Actor = requires(Action.OPEN_LICENCE_MANAGE)) -> LicenceDetail:
    return licence_detail(licences.create_licence(db, actor, selection_id=selection_id))


@router.get("/licences", response_model=list[LicenceRead])
def list_licences(db: Db, actor: Actor = open_to(Action.OPEN_LICENCE_VIEW)) -> list[LicenceRead]:
    return [licence_read(licence) for licence in licences.list_licences(db, actor)]


@router.get("/licences/{licence_id}", response_model=LicenceRead)
def get_licence(licence_id: Id, db: Db, actor: Actor = open_to(Action.OPEN_LICENCE_VIEW)) -> LicenceRead:
    return licence_read(licences.get_licence(db, actor, licence_id=licence_id))


@router.get("/licences/{licence_id}/revenues", response_model=LicenceDetail)
def licence_revenues(licence_id: Id, db: Db, actor: Actor = requires(Action.OPEN_LICENCE_MANAGE)) -> LicenceDetail:
    return licence_detail(licences.get_licence(db, actor, licence_id=licence_id))


@router.post("/licences/{licence_id}/revenues", response_model=RevenueRead, status_code=201)
def record_revenue(licence_id: Id, data_in: RevenueRecord, db: Db,
                   actor: Actor = requires(Action.OPEN_LICENCE_MANAGE)) -> RevenueRead:
    return RevenueRead.of(licences.record_revenue(db, actor, licence_id=licence_id, data=data_in))
