"""JSON routes of authorised opening and public demands under /api/v1/open (第十七至十九条): the applicant's
organisation and applications, the providing unit's opinion, the bureau's conditions and review, the public
notice; demands, their assignment and answers, and the public list of them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from govdata import clock
from govdata.actor import Actor
from govdata.errors import NotFound
from govdata.opendata import applications, demands
from govdata.opendata.application_schemas import (
    ApplicantRead,
    ApplicantSave,
    ApplicationApprove,
    ApplicationCreate,
    ApplicationOpinion,
    ApplicationRead,
    ApplicationReject,
    ConditionsSet,
    DemandAnswer,
    DemandAssign,
    DemandCreate,
    DemandRead,
    NoticeRead,
)
from govdata.opendata.models import ApplicationStatus, DemandStatus
from govdata.policy import Action
from govdata.types import Id
from govdata.web.deps import Db, open_to, requires

router = APIRouter(prefix="/api/v1/open", tags=["opendata"])


@router.get("/applicant", response_model=ApplicantRead)
def get_applicant(db: Db, actor: Actor = requires(Action.OPEN_APPLICANT)) -> ApplicantRead:
    found = applications.find_applicant(db, actor)
    if found is None:
        raise NotFound("尚未登记申请主体", field="applicant")
    return ApplicantRead.of(found)


@router.put("/applicant", response_model=ApplicantRead)
def save_applicant(data_in: ApplicantSave, db: Db, actor: Actor = requires(Action.OPEN_APPLICANT)) -> ApplicantRead:
    return ApplicantRead.of(applications.save_applicant(db, actor, data=data_in))


@router.post("/applications", response_model=ApplicationRead, status_code=201)
def submit_application(data_in: ApplicationCreate, db: Db,
                       actor: Actor = requires(Action.OPEN_APPLY)) -> ApplicationRead:
    return ApplicationRead.of(applications.submit_application(db, actor, data=data_in))


@router.get("/applications", response_model=list[ApplicationRead])
def list_applications(db: Db, status: Annotated[ApplicationStatus | None, Query()] = None,
                      actor: Actor = requires(Action.OPEN_APPLICATION_VIEW)) -> list[ApplicationRead]:
    return [ApplicationRead.of(a) for a in applications.list_applications(db, actor, status=status)]


@router.get("/applications/{application_id}", response_model=ApplicationRead)
def get_application(application_id: Id, db: Db,
                    actor: Actor = requires(Action.OPEN_APPLICATION_VIEW)) -> ApplicationRead:
    return ApplicationRead.of(applications.get_application(db, actor, application_id=application_id))


@router.post("/applications/{application_id}/opinion", response_model=ApplicationRead)
def give_opinion(application_id: Id, data_in: ApplicationOpinion, db: Db,
                 actor: Actor = requires(Action.OPEN_OPINION)) -> ApplicationRead:
    return ApplicationRead.of(applications.give_opinion(db, actor, application_id=application_id, data=data_in))


@router.post("/applications/{application_id}/approve", response_model=ApplicationRead)
def approve_application(application_id: Id, data_in: ApplicationApprove, db: Db,
                        actor: Actor = requires(Action.OPEN_REVIEW)) -> ApplicationRead:
    return ApplicationRead.of(applications.approve_application(db, actor, application_id=application_id,
                                                               data=data_in))


@router.post("/applications/{application_id}/reject", response_model=ApplicationRead)
def reject_application(application_id: Id, data_in: ApplicationReject, db: Db,
                       actor: Actor = requires(Action.OPEN_REVIEW)) -> ApplicationRead:
    return ApplicationRead.of(applications.reject_application(db, actor, application_id=application_id,
                                                              data=data_in))


@router.put("/datasets/{dataset_id}/conditions", status_code=204)
def set_conditions(dataset_id: Id, data_in: ConditionsSet, db: Db,
                   actor: Actor = requires(Action.OPEN_CONDITIONS)) -> None:
    applications.set_conditions(db, actor, dataset_id=dataset_id, data=data_in)


@router.get("/notices", response_model=list[NoticeRead])
def list_notices(db: Db, actor: Actor = open_to(Action.OPEN_NOTICE_VIEW)) -> list[NoticeRead]:
    return [NoticeRead.of(a) for a in applications.list_notices(db, actor)]


@router.post("/demands", response_model=DemandRead, status_code=201)
def file_demand(data_in: DemandCreate, db: Db, actor: Actor = requires(Action.OPEN_DEMAND)) -> DemandRead:
    return DemandRead.of(demands.file_demand(db, actor, data=data_in), today=clock.today())


@router.get("/demands", response_model=list[DemandRead])
def list_demands(db: Db, status: Annotated[DemandStatus | None, Query()] = None,
                 actor: Actor = open_to(Action.OPEN_DEMAND_VIEW)) -> list[DemandRead]:
    today = clock.today()
    return [DemandRead.of(d, today=today) for d in demands.list_demands(db, actor, status=status)]


@router.get("/demands/{demand_id}", response_model=DemandRead)
def get_demand(demand_id: Id, db: Db, actor: Actor = open_to(Action.OPEN_DEMAND_VIEW)) -> DemandRead:
    return DemandRead.of(demands.get_demand(db, actor, demand_id=demand_id), today=clock.today())


@router.post("/demands/{demand_id}/assign", response_model=DemandRead)
def assign_demand(demand_id: Id, data_in: DemandAssign, db: Db,
                  actor: Actor = requires(Action.OPEN_DEMAND_ASSIGN)) -> DemandRead:
    return DemandRead.of(demands.assign_demand(db, actor, demand_id=demand_id, data=data_in), today=clock.today())


@router.post("/demands/{demand_id}/answer", response_model=DemandRead)
def answer_demand(demand_id: Id, data_in: DemandAnswer, db: Db,
                  actor: Actor = requires(Action.OPEN_DEMAND_ANSWER)) -> DemandRead:
    return DemandRead.of(demands.answer_demand(db, actor, demand_id=demand_id, data=data_in), today=clock.today())
