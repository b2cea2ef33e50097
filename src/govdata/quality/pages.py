"""Quality pages: overview with trends, rules per field, reports, code tables and comparisons."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from govdata import policy
from govdata.actor import Actor
from govdata.catalog.models import CatalogEntry
from govdata.errors import GovdataError
from govdata.orgs.service import list_units
from govdata.policy import Action, can, require
from govdata.quality import background, compare_pages, corrections_pages, reports, rule_form, service
from govdata.quality.charts import line_chart
from govdata.quality.models import QualityReport
from govdata.quality.page_errors import invalid_field, page_error
from govdata.quality.reports import DIMENSION_LABELS
from govdata.quality.rules import COMPARE_OPS, DATE_TYPES, RULE_LABELS
from govdata.quality.schemas import CodeTableIn
from govdata.types import Id
from govdata.web.deps import AppSettings, Db, WriteDb, requires
from govdata.web.tables import TableSpec, paged
from govdata.web.templating import render
from govdata.work import service as work
from govdata.work.pages import to_progress
from govdata.work.runner import of_app

router = APIRouter(include_in_schema=False)
QUALITY_TABLE = TableSpec(sorts={"name": CatalogEntry.name, "code": CatalogEntry.code, "score": QualityReport.score,
                                 "checked": QualityReport.created_at},
                          default="code", filters=(CatalogEntry.name, CatalogEntry.code), tiebreak=(CatalogEntry.id,))
router.include_router(corrections_pages.router)
router.include_router(compare_pages.router)
Text = Annotated[str, Form()]


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
        "can_edit": bool(can(actor, Action.QUALITY_RULE_MANAGE, entry)), "rules": service.field_rules(entry),
        "describe": rule_form.describe, "running": work.active(db, key=background.scan_key(entry.id))})


@router.post("/quality/entries/{entry_id}/scan")
def scan_page(request: Request, entry_id: Id, db: Db, settings: AppSettings,
              actor: Actor = requires(Action.QUALITY_SCAN)) -> Response:
    """A large table is scanned as background work (its progress page); a small one now."""
    moved = to_progress(lambda: background.start_scan(db, of_app(request), actor, entry_id=entry_id,
                                                      workdays=settings.correction_workdays,
                                                      threshold=settings.work_threshold_rows))
    if moved is not None:
        return moved
    report = reports.run_scan(db, actor, entry_id=entry_id, workdays=settings.correction_workdays)
    return RedirectResponse(f"/quality/reports/{report.id}?msg=扫描完成", status_code=303)


def _rules_form(request: Request, entry_id: int, db: Db, rows: list[rule_form.FieldRows] | None,
                error: str | None, status: int = 200, field: str | None = None, note: str | None = None) -> Response:
    entry = reports.get_entry(db, entry_id)
    return render(request, "quality/rules.html", {
        "entry": entry, "fields": rows or rule_form.stored_rows(entry, service.field_rules(entry)),
        "error": error, "error_field": field, "note": note, "labels": RULE_LABELS, "hints": rule_form.HINTS,
        "params": rule_form.PARAMS, "ops": COMPARE_OPS, "others": rule_form.other_fields,
        "type_name": rule_form.type_name, "ref_sep": rule_form.REF_SEP, "date_types": DATE_TYPES,
        "field_options": rule_form.field_options, "resources": service.registered_resources(db),
        "code_options": [(t.code, f"{t.name}（{t.code}）") for t in service.list_code_tables(db)]},
        status_code=status)


@router.get("/quality/entries/{entry_id}/rules", response_class=HTMLResponse)
def rules_form(request: Request, entry_id: Id, db: Db,
               actor: Actor = requires(Action.QUALITY_RULE_MANAGE)) -> Response:
    require(actor, Action.QUALITY_RULE_MANAGE, reports.get_entry(db, entry_id))
    return _rules_form(request, entry_id, db, None, None)


@router.post("/quality/entries/{entry_id}/rules", response_class=HTMLResponse)
async def rules_save(request: Request, entry_id: Id, db: Db,
                     actor: Actor = requires(Action.QUALITY_RULE_MANAGE)) -> Response:
    entry = reports.get_entry(db, entry_id)
    require(actor, Action.QUALITY_RULE_MANAGE, entry)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    rows = rule_form.posted_rows(entry, form)
    if form.get("add"):  # "添加": show the new row with its inputs, save nothing yet
        return _rules_form(request, entry_id, db, rows, None, field=form["add"], note="已添加一行，填写后请保存规则")
    try:
        service.set_field_rules(db, actor, entry_id=entry_id, rules=rule_form.parse(entry, form))
    except GovdataError as exc:
        db.rollback()
        return _rules_form(request, entry_id, db, rows, page_error(exc), exc.status, exc.field)
    return RedirectResponse(f"/quality/entries/{entry_id}?msg=规则已保存", status_code=303)


@router.get("/quality/reports/{report_id}", response_class=HTMLResponse)
def report_page(request: Request, report_id: Id, db: WriteDb,
                actor: Actor = requires(Action.QUALITY_VIEW)) -> Response:
    report = reports.get_report(db, actor, report_id=report_id)
    entry = reports.get_entry(db, report.entry_id)
    return render(request, "quality/report.html", {
        "report": report, "entry": entry, "labels": DIMENSION_LABELS, "results": reports.results_for(db, actor, report),
        "field_labels": {"_problem": "问题", **{f.name: f.label for f in entry.fields}},
        "sample_columns": sample_columns, "keys_known": keys_known(entry),
        "report_link": bool(entry.code) and policy.role_allows(actor, Action.CORRECTION_REPORT)})


def keys_known(entry: CatalogEntry) -> Callable[[dict[str, object]], bool]:
    """Whether a sample row shows its record's whole key in clear (then it can open a filled-in correction)."""
    names = [f.name for f in entry.key_fields]
    return lambda sample: all(sample.get(n) not in (None, "") and "*" not in str(sample.get(n)) for n in names)


def sample_columns(samples: list[dict[str, object]]) -> list[str]:
    """The columns of a result's sample table: every key the samples have, in first-seen order."""
    return list(dict.fromkeys(k for s in samples for k in s))


@router.get("/quality/code-tables", response_class=HTMLResponse)
def code_tables(request: Request, db: Db, actor: Actor = requires(Action.CODE_TABLE_VIEW)) -> Response:
    return render(request, "quality/code_tables.html", {
        "tables": service.list_code_tables(db), "can_edit": bool(can(actor, Action.CODE_TABLE_MANAGE))})


CODE_TABLE_HINTS = {"code": "请填写编号（字母、数字及 _ . - / 空格，至多 64 字）", "name": "请填写名称（至多 128 字）",
                    "standard": "依据标准至多 64 字", "values": "代码填写有误"}


def _code_table_form(request: Request, table_id: int | None, values: dict[str, str], error: str | None,
                     status: int = 200, field: str | None = None) -> Response:
    return render(request, "quality/code_table_form.html", {"table_id": table_id, "form": values,
                                                            "error": error, "error_field": field}, status_code=status)


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
        where = invalid_field(exc)
        return _code_table_form(request, table_id, form, CODE_TABLE_HINTS.get(where, "填写有误"), 422, where)
    except GovdataError as exc:
        db.rollback()
        return _code_table_form(request, table_id, form, page_error(exc), exc.status, exc.field)
    return RedirectResponse(f"/quality/code-tables/{table.id}?msg=代码表已保存", status_code=303)
