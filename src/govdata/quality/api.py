"""Quality JSON API: rules, scans and reports, comparisons, code tables, and corrections (/api/v1/corrections)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from govdata.actor import Actor
from govdata.policy import Action, require
from govdata.quality import compare, corrections, reports, service
from govdata.quality.models import ComparisonRun, Correction, QualityReport
from govdata.quality.schemas import (
    CodeTableIn,
    ComparisonCreate,
    ComparisonRunRead,
    CorrectionAnswer,
    CorrectionCreate,
    CorrectionRead,
    FieldRulesIn,
    ReportRead,
)
from govdata.types import Id
from govdata.web.deps import AppSettings, Db, WriteDb, get_database, requires

router = APIRouter(prefix="/api/v1", tags=["quality"])


def report_read(db: Db, actor: Actor, report: QualityReport) -> ReportRead:
    data = {c: getattr(report, c) for c in ReportRead.model_fields if c != "results"}
    return ReportRead(**data, results=reports.results_for(db, actor, report))  # type: ignore[arg-type]


def correction_read(db: Db, actor: Actor, correction: Correction) -> CorrectionRead:
    shown = corrections.values_for(db, actor, correction)
    masked = {"record_key", "current_value", "value_seen", "value_proposed", "value_fixed"}
    data = {c: getattr(correction, c) for c in CorrectionRead.model_fields if c not in masked}
    return CorrectionRead(**data, record_key=shown.record_key, current_value=shown.current_value,
                          value_seen=shown.value_seen, value_proposed=shown.value_proposed,
                          value_fixed=shown.value_fixed)


def run_read(run: ComparisonRun) -> ComparisonRunRead:
    data = {c: getattr(run, c) for c in ComparisonRunRead.model_fields if c != "field_diffs"}
    return ComparisonRunRead(**data, field_diffs=orjson.loads(run.field_diffs))


@router.get("/quality/entries/{entry_id}/rules")
def get_rules(entry_id: Id, db: Db, actor: Actor = requires(Action.QUALITY_VIEW)) -> dict[str, Any]:
    entry = reports.get_entry(db, entry_id)
    require(actor, Action.QUALITY_VIEW, entry)
    return {"entry_id": entry.id, "rules": service.field_rules(entry)}


@router.put("/quality/entries/{entry_id}/rules")
def put_rules(entry_id: Id, body: FieldRulesIn, db: Db,
              actor: Actor = requires(Action.QUALITY_RULE_MANAGE)) -> dict[str, Any]:
    entry = service.set_field_rules(db, actor, entry_id=entry_id, rules=body.rules)
    return {"entry_id": entry.id, "rules": service.field_rules(entry)}


@router.post("/quality/entries/{entry_id}/scan", status_code=201)
def scan_entry(entry_id: Id, db: Db, settings: AppSettings,
               actor: Actor = requires(Action.QUALITY_SCAN)) -> ReportRead:
    return report_read(db, actor, reports.run_scan(db, actor, entry_id=entry_id, workdays=settings.correction_workdays))


@router.get("/quality/reports/{report_id}")
def get_report(report_id: Id, db: WriteDb, actor: Actor = requires(Action.QUALITY_VIEW)) -> ReportRead:
    return report_read(db, actor, reports.get_report(db, actor, report_id=report_id))


@router.get("/quality/code-tables")
def list_code_tables(db: Db, _: Actor = requires(Action.CODE_TABLE_VIEW)) -> list[dict[str, Any]]:
    return [{"id": t.id, "code": t.code, "name": t.name, "standard": t.standard,
             "values": [[v.value, v.label] for v in t.values]} for t in service.list_code_tables(db)]


@router.post("/quality/code-tables", status_code=201)
def create_code_table(body: CodeTableIn, db: Db, actor: Actor = requires(Action.CODE_TABLE_MANAGE)) -> dict[str, Any]:
    table = service.save_code_table(db, actor, data=body)
    return {"id": table.id, "code": table.code, "values": len(table.values)}


@router.post("/quality/comparisons", status_code=201)
def create_comparison(body: ComparisonCreate, db: Db, actor: Actor = requires(Action.COMPARISON_RUN)) -> dict[str, Any]:
    comparison = compare.create_comparison(db, actor, data=body)
    return {"id": comparison.id, "name": comparison.name}


@router.post("/quality/comparisons/{comparison_id}/run", status_code=201)
def run_comparison(comparison_id: Id, db: Db, actor: Actor = requires(Action.COMPARISON_RUN)) -> ComparisonRunRead:
    return run_read(compare.run_comparison(db, actor, comparison_id=comparison_id))


@router.get("/quality/comparison-runs/{run_id}")
def get_run(run_id: Id, db: Db, actor: Actor = requires(Action.COMPARISON_VIEW)) -> ComparisonRunRead:
    return run_read(compare.get_run(db, actor, run_id=run_id))


@router.get("/quality/comparison-runs/{run_id}/diffs.csv")
def run_csv(request: Request, run_id: Id, db: WriteDb,
            actor: Actor = requires(Action.COMPARISON_VIEW)) -> StreamingResponse:
    lines = compare.download_diffs(db, actor, get_database(request), run_id=run_id)
    headers = {"Content-Disposition": f'attachment; filename="comparison-run-{run_id}.csv"'}
    return StreamingResponse(lines, media_type="text/csv; charset=utf-8", headers=headers)


@router.post("/corrections", status_code=201)
def report_correction(body: CorrectionCreate, db: Db, settings: AppSettings,
                      actor: Actor = requires(Action.CORRECTION_REPORT)) -> CorrectionRead:
    correction = corrections.report_correction(db, actor, data=body, workdays=settings.correction_workdays)
    return correction_read(db, actor, correction)


@router.get("/corrections")
def list_corrections(db: Db, box: str = "all", status: str | None = None, overdue: bool = False,
                     actor: Actor = requires(Action.CORRECTION_VIEW)) -> list[CorrectionRead]:
    found = corrections.list_corrections(db, actor, box=box, status=status, overdue=overdue)
    return [correction_read(db, actor, c) for c in found]


@router.get("/corrections/{correction_id}")
def get_correction(correction_id: Id, db: Db, actor: Actor = requires(Action.CORRECTION_VIEW)) -> CorrectionRead:
    return correction_read(db, actor, corrections.get_correction(db, actor, correction_id=correction_id))


@router.post("/corrections/{correction_id}/answer")
def answer_correction(correction_id: Id, body: CorrectionAnswer, db: Db,
                      actor: Actor = requires(Action.CORRECTION_ANSWER)) -> CorrectionRead:
    correction = corrections.answer_correction(db, actor, correction_id=correction_id, data=body)
    return correction_read(db, actor, correction)
