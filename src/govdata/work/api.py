"""`GET /api/v1/work/{id}`: how far a piece of background work got (polled by the progress page)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from govdata.actor import Actor
from govdata.policy import Action
from govdata.types import Id
from govdata.web.deps import Db, requires
from govdata.work import service
from govdata.work.runner import of_app
from govdata.work.schemas import WorkRead

router = APIRouter(prefix="/api/v1/work", tags=["work"])


@router.get("/{work_id}", response_model=WorkRead)
def work_progress(request: Request, work_id: Id, db: Db, actor: Actor = requires(Action.WORK_VIEW)) -> WorkRead:
    return service.progress_of(service.get(db, actor, work_id=work_id), of_app(request))
