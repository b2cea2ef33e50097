"""JSON routes of the catalog: thin, one service call each."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import Response

from govdata.actor import Actor
from govdata.catalog import browse, excel, lifecycle, service, versions
from govdata.catalog.browse import EntryQuery
from govdata.catalog.models import Filing
from govdata.catalog.schemas import (
    EntryCreate,
    EntryPage,
    EntryRead,
    EntryUpdate,
    FilingDecision,
    FilingRead,
    ImportReport,
    RetireIn,
    VersionRead,
)
from govdata.errors import PayloadTooLarge
from govdata.policy import Action
from govdata.types import Count, Id
from govdata.web.deps import AppSettings, Db, ReadDb, WriteDb, requires

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def filing_read(filing: Filing) -> FilingRead:
    return FilingRead(id=filing.id, entry_id=filing.entry_id, entry_name=filing.entry.name, unit_id=filing.unit_id,
                      kind=filing.kind, reason=filing.reason, legal_basis=filing.legal_basis, status=filing.status,
                      submitted_at=filing.submitted_at, decided_at=filing.decided_at,
                      decision_note=filing.decision_note)


@router.get("", response_model=EntryPage)
def list_entries(db: ReadDb, query: Annotated[EntryQuery, Query()], actor: Actor = requires(Action.CATALOG_VIEW)
                 ) -> EntryPage:
    return browse.list_entries(db, actor, query=query)


@router.post("", response_model=EntryRead, status_code=201)
def create_entry(db: Db, data: EntryCreate, actor: Actor = requires(Action.CATALOG_DRAFT)) -> EntryRead:
    return EntryRead.of(service.create_entry(db, actor, data=data))


@router.get("/export.xlsx")
def export_entries(db: WriteDb, query: Annotated[EntryQuery, Query()],
                   actor: Actor = requires(Action.CATALOG_EXPORT)) -> Response:
    ids = browse.entry_ids(db, actor, query=query)
    content = excel.export_entries(db, actor, entry_ids=ids)
    return Response(content, media_type=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="catalog.xlsx"'})


@router.post("/import", response_model=ImportReport, status_code=201)
async def import_entries(db: Db, settings: AppSettings, file: Annotated[UploadFile, File()],
                         actor: Actor = requires(Action.CATALOG_IMPORT)) -> ImportReport:
    limit = min(settings.max_upload_bytes, excel.MAX_BYTES)
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise PayloadTooLarge(f"文件超过 {limit // 1024 // 1024} MB", field="file")
    created = excel.import_entries(db, actor, content=content, filename=file.filename or "",
                                   xlsx_limit=settings.max_xlsx_expanded_bytes)
    return ImportReport(created=len(created), entry_ids=[e.id for e in created])


@router.get("/filings", response_model=list[FilingRead])
def list_filings(db: Db, status: Annotated[str | None, Query(pattern="^(pending|accepted|rejected)$")] = None,
                 actor: Actor = requires(Action.FILING_REVIEW)) -> list[FilingRead]:
    return [filing_read(f) for f in lifecycle.list_filings(db, status=status)]


@router.post("/filings/{filing_id}/decision", response_model=FilingRead)
def decide_filing(db: Db, filing_id: Id, decision: FilingDecision,
                  actor: Actor = requires(Action.FILING_REVIEW)) -> FilingRead:
    return filing_read(lifecycle.decide_filing(db, actor, filing_id=filing_id, decision=decision))


@router.get("/code/{code:path}", response_model=EntryRead)
def get_by_code(db: Db, code: str, actor: Actor = requires(Action.CATALOG_VIEW)) -> EntryRead:
    return EntryRead.of(service.view_entry(db, actor, code=code))


@router.get("/{entry_id}", response_model=EntryRead)
def get_entry(db: Db, entry_id: Id, actor: Actor = requires(Action.CATALOG_VIEW)) -> EntryRead:
    return EntryRead.of(service.view_entry(db, actor, entry_id=entry_id))


@router.put("/{entry_id}", response_model=EntryRead)
def update_entry(db: Db, entry_id: Id, data: EntryUpdate, actor: Actor = requires(Action.CATALOG_DRAFT)
                 ) -> EntryRead:
    return EntryRead.of(service.update_entry(db, actor, entry_id=entry_id, data=data))


@router.post("/{entry_id}/submit", response_model=EntryRead)
def submit_entry(db: Db, entry_id: Id, actor: Actor = requires(Action.CATALOG_SUBMIT)) -> EntryRead:
    return EntryRead.of(lifecycle.submit_entry(db, actor, entry_id=entry_id))


@router.post("/{entry_id}/retire", response_model=EntryRead)
def retire_entry(db: Db, entry_id: Id, data: RetireIn, actor: Actor = requires(Action.CATALOG_RETIRE)
                 ) -> EntryRead:
    return EntryRead.of(lifecycle.retire_entry(db, actor, entry_id=entry_id, reason=data.reason))


@router.get("/{entry_id}/filings", response_model=list[FilingRead])
def entry_filings(db: Db, entry_id: Id, actor: Actor = requires(Action.CATALOG_VIEW)) -> list[FilingRead]:
    entry = service.view_entry(db, actor, entry_id=entry_id)
    return [filing_read(f) for f in lifecycle.list_filings(db, entry_id=entry.id)]


@router.get("/{entry_id}/versions", response_model=list[VersionRead])
def list_versions(db: Db, entry_id: Id, actor: Actor = requires(Action.CATALOG_VIEW)) -> list[VersionRead]:
    entry = service.view_entry(db, actor, entry_id=entry_id)
    return [VersionRead(version=v.version, created_at=v.created_at, created_by=v.created_by,
                        diff=versions.loads(v.diff)) for v in service.list_versions(db, entry_id=entry.id)]


@router.get("/{entry_id}/diff")
def diff(db: Db, entry_id: Id, to_version: Annotated[Id | None, Query()] = None,
         from_version: Annotated[Count | None, Query()] = None,
         actor: Actor = requires(Action.CATALOG_VIEW)) -> dict[str, Any]:
    """The difference between two registered versions (by default: the latest and the one before)."""
    entry = service.view_entry(db, actor, entry_id=entry_id)
    change = service.version_diff(db, entry=entry, to_version=to_version, from_version=from_version)
    return {**change, "lines": versions.describe(change)}
