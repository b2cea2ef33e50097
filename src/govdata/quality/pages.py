"""Quality pages: overview with trends, rules per field, reports, code tables and comparisons."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from pydantic import ValidationError

from govdata import policy
from govdata.actor import Actor
from govdata.catalog.models import CatalogEntry
from govdata.errors import GovdataError
from govdata.orgs.service import list_units
from govdata.policy import Action, Denied, can, require
from govdata.quality import compare, corrections_pages, reports, service
from govdata.quality.charts import line_chart
from govdata.quality.models import QualityReport
from govdata.quality.reports import DIMENSION_LABELS
from govdata.quality.schemas import CodeTableIn, ComparisonCreate
from govdata.timeutil import fmt
from govdata.types import Id
from govdata.web.deps import AppSettings, Db, WriteDb, get_database, requires
from govdata.web.tables import TableSpec, paged
from govdata.web.templating import render

router = APIRouter(include_in_schema=False)
QUALITY_TABLE = TableSpec(sorts={"name": CatalogEntry.name, "code": CatalogEntry.code, "score": QualityReport.score,
                                 "checked": QualityReport.created_at},
                          default="code", filters=(CatalogEntry.name, CatalogEntry.code), tiebreak=(CatalogEntry.id,))
router.include_router(corrections_pages.router)
Text = Annotated[str, Form()]


def page_error(exc: GovdataError) -> str:
    """The message for a form re-render; a refused permission goes to the error handler (and audit) instead."""
    if isinstance(exc, Denied):
        raise exc
    return exc.message


@router.get("/quality", response_class=HTMLResponse)
def overview(request: Request, db: Db, unit: Id | None = None,
             actor: Actor = requires(Action.QUALITY_VIEW)) -> Response:
    see_all = policy.sees_all(actor, Action.QUALITY_VIEW)
    unit_id = unit if see_all else actor.unit_id
    rows, table = paged(db, reports.latest_query(actor, unit_id=unit_id), request, QUALITY_TABLE, scalars=False,
                        keep=("unit",))
    trend = reports.unit_trend(db, unit_id=unit_id) if unit_id and (see_all or unit_id == actor.unit_id) else []
    return render(request, "quality/overview.html", {
        "rows": rows, "table": table, "units": list_units(db) if see_all else [], "unit_id": unit_id,
        "chart": line_chart(trend) if trend else None, "labels": DIMENSION_LABELS})


@router.get("/quality/entries/{entry_id}", response_class=HTMLResponse)
def entry_page(request: Request, entry_id: Id, db: Db, actor: Actor = requires(Action.QUALITY_VIEW)) -> Response:
    entry = reports.get_entry(db, entry_id)
    require(actor, Action.QUALITY_VIEW, entry)
    trend = reports.entry_trend(db, entry_id=entry.id)
    series = reports.trend_series(trend)
    return render(request, "quality/entry.html", {
        "entry": entry, "reports": list(reversed(trend)), "chart": line_chart(series) if series else None,
        "labels": DIMENSION_LABELS, "can_scan": bool(can(actor, Action.QUALITY_SCAN, entry)),
        "can_edit": bool(can(actor, Action.QUALITY_RULE_MANAGE, entry)), "rules": service.field_rules(entry)})


@router.post("/quality/entries/{entry_id}/scan")
def scan_page(entry_id: Id, db: Db, settings: AppSettings, actor: Actor = requires(Action.QUALITY_SCAN)) -> Response:
    report = reports.run_scan(db, actor, entry_id=entry_id, workdays=settings.correction_workdays)
    return RedirectResponse(f"/quality/reports/{report.id}?msg=扫描完成", status_code=303)


def _rules_form(request: Request, entry_id: int, db: Db, texts: dict[str, str] | None, error: str | None,
                status: int = 200, field: str | None = None) -> Response:
    entry = reports.get_entry(db, entry_id)
    current = {k: orjson.dumps(v).decode() for k, v in service.field_rules(entry).items()}
    return render(request, "quality/rules.html", {
        "entry": entry, "texts": texts or current, "error": error, "error_field": field,
        "code_tables": service.list_code_tables(db)}, status_code=status)


@router.get("/quality/entries/{entry_id}/rules", response_class=HTMLResponse)
def rules_form(request: Request, entry_id: Id, db: Db,
               actor: Actor = requires(Action.QUALITY_RULE_MANAGE)) -> Response:
    require(actor, Action.QUALITY_RULE_MANAGE, reports.get_entry(db, entry_id))
    return _rules_form(request, entry_id, db, None, None)


@router.post("/quality/entries/{entry_id}/rules", response_class=HTMLResponse)
async def rules_save(request: Request, entry_id: Id, db: Db,
                     actor: Actor = requires(Action.QUALITY_RULE_MANAGE)) -> Response:
    form = await request.form()
    texts = {k[len("rules."):]: str(v) for k, v in form.items() if k.startswith("rules.")}
    parsed = {}
    for name, text in texts.items():
        try:
            parsed[name] = orjson.loads(text.strip() or "[]")
        except orjson.JSONDecodeError:
            return _rules_form(request, entry_id, db, texts, f"信息项 {name} 的规则不是合法的 JSON", 422, name)
    try:
        service.set_field_rules(db, actor, entry_id=entry_id, rules=parsed)
    except GovdataError as exc:
        db.rollback()
        return _rules_form(request, entry_id, db, texts, page_error(exc), exc.status, exc.field)
    return RedirectResponse(f"/quality/entries/{entry_id}?msg=规则已保存", status_code=303)


@router.get("/quality/reports/{report_id}", response_class=HTMLResponse)
def report_page(request: Request, report_id: Id, db: WriteDb,
                actor: Actor = requires(Action.QUALITY_VIEW)) -> Response:
    report = reports.get_report(db, actor, report_id=report_id)
    entry = reports.get_entry(db, report.entry_id)
    return render(request, "quality/report.html", {"report": report, "entry": entry, "labels": DIMENSION_LABELS,
                                                   "results": reports.results_for(db, actor, report)})


@router.get("/quality/code-tables", response_class=HTMLResponse)
def code_tables(request: Request, db: Db, actor: Actor = requires(Action.CODE_TABLE_VIEW)) -> Response:
    return render(request, "quality/code_tables.html", {
        "tables": service.list_code_tables(db), "can_edit": bool(can(actor, Action.CODE_TABLE_MANAGE))})


def _code_table_form(request: Request, table_id: int | None, values: dict[str, str], error: str | None,
                     status: int = 200) -> Response:
    return render(request, "quality/code_table_form.html", {"table_id": table_id, "form": values,
                                                            "error": error}, status_code=status)


@router.get("/quality/code-tables/new", response_class=HTMLResponse)
def code_table_new(request: Request, _: Actor = requires(Action.CODE_TABLE_MANAGE)) -> Response:
    return _code_table_form(request, None, {}, None)


@router.get("/quality/code-tables/{table_id}", response_class=HTMLResponse)
def code_table_page(request: Request, table_id: Id, db: Db,
                    actor: Actor = requires(Action.CODE_TABLE_VIEW)) -> Response:
    table = service.get_code_table(db, table_id=table_id)
    if can(actor, Action.CODE_TABLE_MANAGE):
        values = "\n".join(f"{v.value},{v.label}" for v in table.values)
        return _code_table_form(request, table.id, {"code": table.code, "name": table.name,
                                                    "standard": table.standard, "values": values}, None)
    return render(request, "quality/code_table.html", {"table": table})


@router.post("/quality/code-tables", response_class=HTMLResponse)
@router.post("/quality/code-tables/{table_id}", response_class=HTMLResponse)
def code_table_save(request: Request, db: Db, code: Text = "", name: Text = "", standard: Text = "",
                    values: Text = "", table_id: Id | None = None,
                    actor: Actor = requires(Action.CODE_TABLE_MANAGE)) -> Response:
    form = {"code": code, "name": name, "standard": standard, "values": values}
    try:
        data = CodeTableIn(code=code, name=name, standard=standard, values=service.parse_values(values))
        table = service.save_code_table(db, actor, data=data, table_id=table_id)
    except ValidationError as exc:
        where = str(exc.errors()[0]["loc"][0])
        return _code_table_form(request, table_id, form, f"{where} 填写有误", 422)
    except GovdataError as exc:
        db.rollback()
        return _code_table_form(request, table_id, form, page_error(exc), exc.status)
    return RedirectResponse(f"/quality/code-tables/{table.id}?msg=代码表已保存", status_code=303)


def _pairs(text: str) -> list[tuple[str, str]]:
    out = []
    for line in text.replace(",", "\n").splitlines():
        if line.strip():
            left, _, right = line.partition("=")
            out.append((left.strip(), (right or left).strip()))
    return out


def _comparisons(request: Request, db: Db, actor: Actor, form: dict[str, str], error: str | None,
                 status: int = 200) -> Response:
    return render(request, "quality/comparisons.html", {
        "comparisons": compare.list_comparisons(db, actor), "form": form, "error": error}, status_code=status)


@router.get("/quality/comparisons", response_class=HTMLResponse)
def comparisons(request: Request, db: Db, actor: Actor = requires(Action.COMPARISON_VIEW)) -> Response:
    return _comparisons(request, db, actor, {"threshold": "0.99"}, None)


@router.post("/quality/comparisons", response_class=HTMLResponse)
def comparison_create(request: Request, db: Db, name: Text = "", left_code: Text = "", right_code: Text = "",
                      keys: Text = "", fields: Text = "", threshold: Text = "0.99", scheduled: Text = "",
                      actor: Actor = requires(Action.COMPARISON_RUN)) -> Response:
    form = {"name": name, "left_code": left_code, "right_code": right_code, "keys": keys, "fields": fields,
            "threshold": threshold}
    try:
        data = ComparisonCreate(name=name, left_code=left_code, right_code=right_code, key_pairs=_pairs(keys),
                                field_pairs=_pairs(fields), threshold=threshold,  # type: ignore[arg-type]
                                is_scheduled=bool(scheduled))
        comparison = compare.create_comparison(db, actor, data=data)
    except ValidationError as exc:
        where = str(exc.errors()[0]["loc"][0])
        return _comparisons(request, db, actor, form, f"{where} 填写有误", 422)
    except GovdataError as exc:
        db.rollback()
        return _comparisons(request, db, actor, form, page_error(exc), exc.status)
    return RedirectResponse(f"/quality/comparisons/{comparison.id}?msg=比对任务已创建", status_code=303)


@router.get("/quality/comparisons/{comparison_id}", response_class=HTMLResponse)
def comparison_page(request: Request, comparison_id: Id, db: Db,
                    actor: Actor = requires(Action.COMPARISON_VIEW)) -> Response:
    comparison = compare.get_comparison(db, actor, comparison_id=comparison_id)
    runs = compare.runs_of(db, comparison_id=comparison.id)
    series = [(fmt(r.created_at), r.ratio) for r in reversed(runs)]
    return render(request, "quality/comparison.html", {
        "comparison": comparison, "runs": runs, "chart": line_chart(series) if series else None,
        "keys": orjson.loads(comparison.key_pairs), "fields": orjson.loads(comparison.field_pairs)})


@router.post("/quality/comparisons/{comparison_id}/run")
def comparison_run(comparison_id: Id, db: Db, actor: Actor = requires(Action.COMPARISON_RUN)) -> Response:
    run = compare.run_comparison(db, actor, comparison_id=comparison_id)
    return RedirectResponse(f"/quality/comparison-runs/{run.id}?msg=比对完成", status_code=303)


@router.get("/quality/comparison-runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run_id: Id, db: WriteDb,
             actor: Actor = requires(Action.COMPARISON_VIEW)) -> Response:
    run, diffs = compare.view_diffs(db, actor, run_id=run_id)
    return render(request, "quality/comparison_run.html", {
        "run": run, "field_diffs": orjson.loads(run.field_diffs), "diffs": diffs})


@router.get("/quality/comparison-runs/{run_id}/download.csv")
def run_csv(request: Request, run_id: Id, db: WriteDb,
            actor: Actor = requires(Action.COMPARISON_VIEW)) -> Response:
    lines = compare.download_diffs(db, actor, get_database(request), run_id=run_id)
    return StreamingResponse(lines, media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="comparison-run-{run_id}.csv"'})
