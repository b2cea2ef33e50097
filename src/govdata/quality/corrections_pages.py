"""Correction pages: report a wrong value, the producer's to-do and answer, the reporter's view of the result."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from govdata import clock
from govdata.actor import Actor
from govdata.catalog.browse import registered_names
from govdata.catalog.models import CatalogEntry
from govdata.errors import GovdataError, RuleViolation
from govdata.policy import Action, can
from govdata.quality import corrections
from govdata.quality.models import CorrectionStatus
from govdata.quality.page_errors import form_error, invalid_field, page_error
from govdata.quality.schemas import CorrectionAnswer, CorrectionCreate
from govdata.quality.validator import find_registered
from govdata.types import Id
from govdata.web.deps import AppSettings, Db, requires
from govdata.web.templating import render

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form()]
STATUS_LABELS = {"open": "待处理", "fixed": "已更正", "rejected": "未采纳"}


def _parse_key(text: str) -> dict[str, str]:
    key = {}
    for line in text.splitlines():
        if line.strip():
            name, sep, value = line.partition("=")
            if not sep:
                raise RuleViolation("主键应按「字段=值」每行填写", field="key")
            key[name.strip()] = value.strip()
    return key


def _key_of(values: Mapping[str, str]) -> dict[str, str]:
    """The record key from one input per key field (`key.<name>`), or from the older `key` text of lines."""
    key = {k[len("key."):]: v.strip() for k, v in values.items() if k.startswith("key.")}
    return key or _parse_key(values.get("key", ""))


def _resources(db: Db, q: str) -> list[tuple[str, str]]:
    """Registered resources to choose from, as (code, "name（code）"), narrowed by a search text."""
    words = q.strip().lower()
    return [(code, f"{name}（{code}）") for code, name in registered_names(db)
            if not words or words in name.lower() or words in code.lower()]


@router.get("/corrections", response_class=HTMLResponse)
def list_page(request: Request, db: Db, box: str = "all", status: str = "", overdue: bool = False,
              actor: Actor = requires(Action.CORRECTION_VIEW)) -> Response:
    found = corrections.list_corrections(db, actor, box=box, status=status or None, overdue=overdue)
    ids = {c.entry_id for c in found}
    entries = {e.id: e for e in db.execute(select(CatalogEntry).where(CatalogEntry.id.in_(ids))).scalars()}
    return render(request, "quality/corrections.html", {
        "items": found, "box": box, "status": status, "overdue": overdue, "labels": STATUS_LABELS,
        "today": clock.today(), "entries": entries})


def _new_form(request: Request, db: Db, form: dict[str, str], key: dict[str, str], error: str | None = None,
              status: int = 200, field: str | None = None, q: str = "") -> Response:
    code = form.get("resource_code", "")
    entry = find_registered(db, code) if code else None
    return render(request, "quality/correction_new.html", {
        "form": form, "key": key, "entry": entry, "error": error, "error_field": field, "q": q,
        "resources": _resources(db, q) if entry is None else [], "unknown": bool(code) and entry is None},
        status_code=status)


@router.get("/corrections/new", response_class=HTMLResponse)
def new_page(request: Request, db: Db, code: str = "", key: str = "", field: str = "", q: str = "",
             _: Actor = requires(Action.CORRECTION_REPORT)) -> Response:
    """The form, filled in from the link that opened it (a record's 报告错误: resource, key and field)."""
    try:
        record_key = _key_of({**request.query_params, "key": key})
    except RuleViolation:
        record_key = {}
    return _new_form(request, db, {"resource_code": code, "field": field}, record_key, q=q)


FIELD_LABELS = {"resource_code": "资源", "field": "有误的信息项", "value_seen": "看到的值",
                "value_proposed": "认为正确的值", "evidence": "依据", "key": "记录主键"}


@router.post("/corrections", response_class=HTMLResponse)
async def create(request: Request, db: Db, settings: AppSettings,
                 actor: Actor = requires(Action.CORRECTION_REPORT)) -> Response:
    posted = {k: v for k, v in (await request.form()).items() if isinstance(v, str) and k != "csrf_token"}
    form = {k: posted.get(k, "") for k in FIELD_LABELS if k != "key"}
    key: dict[str, str] = {}
    try:
        key = _key_of(posted)
        data = CorrectionCreate(resource_code=form["resource_code"], key=key, field=form["field"],
                                value_seen=form["value_seen"], value_proposed=form["value_proposed"].strip(),
                                evidence=form["evidence"].strip())
        correction = corrections.report_correction(db, actor, data=data, workdays=settings.correction_workdays)
    except ValidationError as exc:
        where = invalid_field(exc)
        return _new_form(request, db, form, key, f"请填写{FIELD_LABELS.get(where, where)}", 422, where)
    except GovdataError as exc:
        db.rollback()
        return _new_form(request, db, form, key, form_error(request, exc), exc.status, exc.field)
    return RedirectResponse(f"/corrections/{correction.id}?msg=纠错已提交，数据提供单位将在期限内答复", status_code=303)


def _detail(request: Request, db: Db, actor: Actor, correction_id: int, error: str | None = None,
            status: int = 200) -> Response:
    correction = corrections.get_correction(db, actor, correction_id=correction_id)
    entry = db.get(CatalogEntry, correction.entry_id)
    shown = corrections.values_for(db, actor, correction)
    return render(request, "quality/correction.html", {
        "c": correction, "shown": shown, "key": shown.record_key, "labels": STATUS_LABELS, "entry": entry,
        "field_labels": {f.name: f.label for f in entry.fields} if entry else {},
        "current": shown.current_value, "error": error, "today": clock.today(),
        "can_answer": correction.status == CorrectionStatus.OPEN.value
        and bool(can(actor, Action.CORRECTION_ANSWER, correction))}, status_code=status)


@router.get("/corrections/{correction_id}", response_class=HTMLResponse)
def detail(request: Request, correction_id: Id, db: Db, actor: Actor = requires(Action.CORRECTION_VIEW)) -> Response:
    return _detail(request, db, actor, correction_id)


@router.post("/corrections/{correction_id}/answer", response_class=HTMLResponse)
def answer(request: Request, correction_id: Id, db: Db, decision: Text = "", answer: Text = "", value: Text = "",
           actor: Actor = requires(Action.CORRECTION_ANSWER)) -> Response:
    try:
        if decision not in {"fix", "reject"}:
            raise RuleViolation("请选择更正或不予采纳", field="decision")
        data = CorrectionAnswer(fix=decision == "fix", answer=answer, value=value or None)
        corrections.answer_correction(db, actor, correction_id=correction_id, data=data)
    except ValidationError:
        return _detail(request, db, actor, correction_id, "请填写答复意见", 422)
    except GovdataError as exc:
        db.rollback()
        return _detail(request, db, actor, correction_id, page_error(exc), exc.status)
    return RedirectResponse(f"/corrections/{correction_id}?msg=已答复", status_code=303)
