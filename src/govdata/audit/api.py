"""Audit trail over JSON: the supervisors' search and the producing units' feed (第二十四条)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from govdata.actor import Actor
from govdata.audit import search
from govdata.audit.schemas import AuditFeed, AuditFilter, AuditPage
from govdata.policy import Action
from govdata.types import Id, Seq
from govdata.web.deps import Db, WriteDb, requires

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("/events", response_model=AuditPage)
def events(db: Db, filters: Annotated[AuditFilter, Query()], before_seq: Annotated[Seq | None, Query()] = None,
           limit: Annotated[int, Query(ge=1, le=search.MAX_PAGE)] = 50,
           actor: Actor = requires(Action.AUDIT_VIEW)) -> AuditPage:
    found, next_before = search.page(db, actor, filters=filters, before_seq=before_seq, limit=limit)
    return AuditPage(events=found, next_before_seq=next_before)


@router.get("/feed", response_model=AuditFeed)
def feed(db: WriteDb, cursor: Annotated[Seq, Query()] = 0,
         limit: Annotated[int, Query(ge=1, le=search.MAX_PAGE)] = 100,
         unit_id: Annotated[Id | None, Query(description="仅网络安全监管部门可指定单位")] = None,
         actor: Actor = requires(Action.AUDIT_FEED)) -> AuditFeed:
    found, next_cursor = search.feed(db, actor, cursor=cursor, limit=limit, unit_id=unit_id)
    search.record_feed(db, actor, unit_id=unit_id or actor.unit_id, cursor=cursor, delivered=len(found))
    return AuditFeed(events=found, next_cursor=next_cursor)
