"""Log push pages: every unit's push at a glance (the center, security), one unit's view (what was delivered,
what waits, the last error) with its setting form, and the security dashboard's panel of units whose push is
failing or behind."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from govdata import clock, policy
from govdata.actor import Actor
from govdata.audit.sealkey import current_public
from govdata.config import Settings
from govdata.errors import GovdataError
from govdata.policy import Action
from govdata.security import logpush
from govdata.security.dashboard import Panel, register_panel
from govdata.security.logpush_schemas import KIND_LABELS, SCHEDULE_LABELS, LogPushSettingIn
from govdata.types import Id
from govdata.web import forms
from govdata.web.deps import AppSettings, Db, requires
from govdata.web.errors import note_refusal
from govdata.web.templating import render

router = APIRouter(include_in_schema=False)
BASE = "/security/logpush"
LABELS = {"unit_id": "单位", "kind": "推送方式", "destination": "推送目录或接收地址", "schedule": "推送频率",
          "enabled": "启用"}
STATUS_LABELS = {"pending": "等待确认", "delivered": "已送达"}


@router.get(BASE)
def logpush_list(request: Request, db: Db, actor: Actor = requires(Action.LOGPUSH_VIEW)) -> Response:
    rows = logpush.overview(db, actor)
    now = clock.now()
    waiting = {u.id: logpush.waiting_events(db, t) for u, t in rows if t is not None}
    return render(request, "security/logpush_list.html", {
        "rows": rows, "waiting": waiting, "now": now, "is_behind": logpush.is_behind,
        "kinds": KIND_LABELS, "schedules": SCHEDULE_LABELS})


def _unit_page(request: Request, db: Session, actor: Actor, settings: Settings, unit_id: int, *,
               form: Any = None, error: forms.FormError | None = None) -> Response:
    unit, target = logpush.view_unit(db, actor, unit_id=unit_id)
    key = current_public(settings.home_dir)
    return render(request, "security/logpush_unit.html", {
        "unit": unit, "target": target, "waiting": logpush.waiting_events(db, target) if target else 0,
        "deliveries": logpush.deliveries(db, target) if target else [], "key": key,
        "may_manage": bool(policy.role_allows(actor, Action.LOGPUSH_MANAGE)), "form": form, "error": error,
        "kinds": KIND_LABELS, "schedules": SCHEDULE_LABELS, "statuses": STATUS_LABELS,
        "allow_http": settings.logpush_allow_http_loopback}, status_code=error.status if error else 200)


@router.get(BASE + "/{logpush_unit_id}")
def logpush_unit(request: Request, logpush_unit_id: Id, db: Db, settings: AppSettings,
                 actor: Actor = requires(Action.LOGPUSH_VIEW)) -> Response:
    return _unit_page(request, db, actor, settings, logpush_unit_id)


@router.post(BASE + "/{logpush_unit_id}")
async def save_logpush(request: Request, logpush_unit_id: Id, db: Db, settings: AppSettings,
                       actor: Actor = requires(Action.LOGPUSH_MANAGE)) -> Response:
    posted = await forms.form_dict(request)
    values = {"unit_id": logpush_unit_id, "kind": posted.get("kind"), "destination": posted.get("destination"),
              "schedule": posted.get("schedule"), "enabled": posted.get("enabled") == "on"}
    parsed = forms.parse(LogPushSettingIn, values, LABELS)
    if not isinstance(parsed, forms.FormError):
        try:
            logpush.set_target(db, actor, settings, data=parsed)
            return RedirectResponse(f"{BASE}/{logpush_unit_id}?msg=日志推送设置已保存", status_code=303)
        except GovdataError as exc:
            if exc.status == 403:
                raise
            db.rollback()
            note_refusal(request, exc)
            parsed = forms.from_error(exc, LABELS)
    return _unit_page(request, db, actor, settings, logpush_unit_id, form=posted, error=parsed)


@register_panel
def logpush_panel(db: Session, actor: Actor) -> Panel | None:
    """Units whose push is failing, or has delivered nothing for two periods while events wait."""
    if not policy.role_allows(actor, Action.LOGPUSH_VIEW):
        return None
    now = clock.now()
    rows = [(u, t) for u, t in logpush.overview(db, actor) if t is not None and t.enabled]
    failing = [(u, t) for u, t in rows if t.failures > 0]
    behind = [(u, t) for u, t in rows if t.failures == 0 and logpush.is_behind(t, now)
              and logpush.waiting_events(db, t) > 0]
    lines = [(u.name, f"推送失败 {t.failures} 次：{t.last_error}") for u, t in failing]
    lines += [(u.name, "超过两个推送周期未送达") for u, t in behind]
    if not rows:
        return Panel("日志推送", "warn", [("状态", "尚未设置日志推送")], BASE)
    if not lines:
        return Panel("日志推送", "ok", [("已设置的单位", f"{len(rows)} 个，推送正常")], BASE)
    return Panel("日志推送", "bad" if failing else "warn", lines[:10], BASE)
