"""Comparison pages: set one up by choosing two resources and pairing their fields, run it, see its results.

The form works without script: the two resources are chosen from lists (searchable with `picker.js`),
then "选择信息项" shows rows of field pairs chosen by their Chinese names; nothing is typed as a code.
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from govdata.actor import Actor
from govdata.catalog.models import CatalogEntry
from govdata.errors import GovdataError, RuleViolation
from govdata.policy import Action
from govdata.quality import background, compare, service
from govdata.quality.charts import line_chart
from govdata.quality.models import Comparison
from govdata.quality.page_errors import form_error, invalid_field, page_error
from govdata.quality.schemas import ComparisonCreate
from govdata.timeutil import fmt
from govdata.types import Id
from govdata.web.deps import AppSettings, Db, WriteDb, get_database, requires
from govdata.web.templating import render
from govdata.work import service as work
from govdata.work.pages import to_progress
from govdata.work.runner import of_app

router = APIRouter(include_in_schema=False)
LABELS = {"name": "名称", "left_code": "左侧资源", "right_code": "右侧资源", "key_pairs": "关联主键",
          "field_pairs": "比对字段", "threshold": "通过阈值"}
HINTS = {"key_pairs": "请至少选择一对关联主键", "threshold": "应为 0 到 1 之间的数"}
EMPTY_ROWS = {"key": 1, "field": 3}  # blank pair rows offered beyond those filled in
Pairs = list[tuple[str, str]]


def form_pairs(form: Mapping[str, str], kind: str) -> Pairs:
    """The `kind.N.left` / `kind.N.right` selects → pairs; a row with one side chosen is refused."""
    rows = sorted({k.split(".")[1] for k in form if k.startswith(f"{kind}.") and k.count(".") == 2},
                  key=lambda n: int(n) if n.isdigit() else 0)
    out = []
    for n in rows:
        left, right = form.get(f"{kind}.{n}.left", "").strip(), form.get(f"{kind}.{n}.right", "").strip()
        if left and right:
            out.append((left, right))
        elif left or right:
            row = int(n) + 1 if n.isdigit() else n
            raise RuleViolation(f"{LABELS[f'{kind}_pairs']}第 {row} 行：左右两侧都要选择", field=f"{kind}_pairs")
    return out


def _pair_rows(pairs: Pairs, kind: str) -> list[tuple[str, str]]:
    return pairs + [("", "")] * EMPTY_ROWS[kind]


def _page(request: Request, db: Session, actor: Actor, form: Mapping[str, str], error: str | None = None,
          error_field: str | None = None, status: int = 200) -> Response:
    resources = service.registered_resources(db)
    fields_of = {code: rfields for code, _, rfields in resources}
    left, right = form.get("left_code", ""), form.get("right_code", "")
    try:
        keys, fields = form_pairs(form, "key"), form_pairs(form, "field")
    except RuleViolation:
        keys, fields = [], []
    return render(request, "quality/comparisons.html", {
        "comparisons": compare.list_comparisons(db, actor), "form": form, "error": error,
        "error_field": error_field, "resources": resources,
        "left_fields": fields_of.get(left, []), "right_fields": fields_of.get(right, []),
        "key_rows": _pair_rows(keys, "key"), "field_rows": _pair_rows(fields, "field")}, status_code=status)


@router.get("/quality/comparisons", response_class=HTMLResponse)
def comparisons(request: Request, db: Db, left_code: str = "", right_code: str = "",
                actor: Actor = requires(Action.COMPARISON_VIEW)) -> Response:
    return _page(request, db, actor, {"threshold": "0.99", "left_code": left_code, "right_code": right_code})


@router.post("/quality/comparisons", response_class=HTMLResponse)
async def comparison_create(request: Request, db: Db, actor: Actor = requires(Action.COMPARISON_RUN)) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str) and k != "csrf_token"}
    if form.get("step") == "fields":  # "选择信息项": show the field rows of the chosen resources, create nothing
        return _page(request, db, actor, form)
    try:
        if form.get("left_code") and form.get("left_code") == form.get("right_code"):
            raise RuleViolation("不能将资源与其自身比对，请选择另一个资源作为右侧", field="right_code")
        data = ComparisonCreate(name=form.get("name", "").strip(), left_code=form.get("left_code", ""),
                                right_code=form.get("right_code", ""), key_pairs=form_pairs(form, "key"),
                                field_pairs=form_pairs(form, "field"),
                                threshold=form.get("threshold") or "0.99",  # type: ignore[arg-type]
                                is_scheduled=bool(form.get("scheduled")))
        comparison = compare.create_comparison(db, actor, data=data)
    except ValidationError as exc:
        where = invalid_field(exc)
        hint = HINTS.get(where, "请填写")
        return _page(request, db, actor, form, f"{LABELS.get(where, where)}：{hint}", where, 422)
    except GovdataError as exc:
        db.rollback()
        return _page(request, db, actor, form, form_error(request, exc), exc.field, exc.status)
    return RedirectResponse(f"/quality/comparisons/{comparison.id}?msg=比对任务已创建", status_code=303)


def _comparison(request: Request, db: Session, actor: Actor, comparison_id: int, error: str | None = None,
                status: int = 200) -> Response:
    comparison = compare.get_comparison(db, actor, comparison_id=comparison_id)
    runs = compare.runs_of(db, comparison_id=comparison.id)
    series = [(fmt(r.created_at), r.ratio) for r in reversed(runs)]
    left, right = db.get(CatalogEntry, comparison.left_entry_id), db.get(CatalogEntry, comparison.right_entry_id)
    return render(request, "quality/comparison.html", {
        "comparison": comparison, "runs": runs, "chart": line_chart(series) if series else None, "error": error,
        "keys": orjson.loads(comparison.key_pairs), "fields": orjson.loads(comparison.field_pairs),
        "left": left, "right": right, "left_labels": left.field_labels if left else {},
        "right_labels": right.field_labels if right else {},
        "running": work.active(db, key=background.compare_key(comparison.id))}, status_code=status)


@router.get("/quality/comparisons/{comparison_id}", response_class=HTMLResponse)
def comparison_page(request: Request, comparison_id: Id, db: Db,
                    actor: Actor = requires(Action.COMPARISON_VIEW)) -> Response:
    return _comparison(request, db, actor, comparison_id)


@router.post("/quality/comparisons/{comparison_id}/run", response_class=HTMLResponse)
def comparison_run(request: Request, comparison_id: Id, db: Db, settings: AppSettings,
                   actor: Actor = requires(Action.COMPARISON_RUN)) -> Response:
    """Large sides are compared as background work (its progress page); small ones now."""
    try:
        moved = to_progress(lambda: background.start_comparison(
            db, of_app(request), actor, comparison_id=comparison_id, threshold=settings.work_threshold_rows))
        if moved is not None:
            return moved
        run = compare.run_comparison(db, actor, comparison_id=comparison_id)
    except GovdataError as exc:
        db.rollback()
        return _comparison(request, db, actor, comparison_id, page_error(exc), exc.status)
    return RedirectResponse(f"/quality/comparison-runs/{run.id}?msg=比对完成", status_code=303)


@router.get("/quality/comparison-runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, run_id: Id, db: WriteDb,
             actor: Actor = requires(Action.COMPARISON_VIEW)) -> Response:
    run, diffs = compare.view_diffs(db, actor, run_id=run_id)
    comparison = db.get(Comparison, run.comparison_id)
    left = db.get(CatalogEntry, comparison.left_entry_id) if comparison else None
    return render(request, "quality/comparison_run.html", {
        "run": run, "field_diffs": orjson.loads(run.field_diffs), "diffs": diffs,
        "labels": left.field_labels if left else {}})


@router.get("/quality/comparison-runs/{run_id}/download.csv")
def run_csv(request: Request, run_id: Id, db: WriteDb,
            actor: Actor = requires(Action.COMPARISON_VIEW)) -> Response:
    lines = compare.download_diffs(db, actor, get_database(request), run_id=run_id)
    return StreamingResponse(lines, media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="comparison-run-{run_id}.csv"'})
