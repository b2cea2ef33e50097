"""The security dashboard `/security` (安全运维, for the security role and the center): every registered panel
(`security.dashboard`), in registration order, and this subject's own three: open incidents by severity, overdue
assessments, tests and drills, and 等保 assessments expiring within 60 days or expired."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from govdata import policy
from govdata.actor import Actor
from govdata.policy import Action
from govdata.security import exercises, incidents
from govdata.security.dashboard import Level, Panel, panels, register_panel
from govdata.security.dengbao_jobs import WARN_DAYS, Expiring, expired_text, expiring_systems
from govdata.security.incident_models import SEVERITY_LABELS, Severity
from govdata.web.deps import Db, requires
from govdata.web.templating import render

router = APIRouter(include_in_schema=False)
GRAVE = {Severity.MAJOR.value, Severity.ESPECIALLY_MAJOR.value}
SHOWN = 8  # lines a panel lists before it says how many more


@register_panel
def open_incidents(db: Session, actor: Actor) -> Panel | None:
    if not policy.role_allows(actor, Action.INCIDENT_VIEW):
        return None
    counts = incidents.open_counts(db, actor)
    total = sum(counts.values())
    lines = [(label, str(counts.get(s.value, 0))) for s, label in reversed(SEVERITY_LABELS.items())]
    level: Level = "bad" if any(counts.get(s) for s in GRAVE) else "warn" if total else "ok"
    return Panel("处置中的安全事件", level, [("合计", str(total)), *lines], "/security/incidents")


@register_panel
def overdue_exercises(db: Session, actor: Actor) -> Panel | None:
    if not policy.role_allows(actor, Action.EXERCISE_VIEW):
        return None
    late, late_follow_ups = exercises.overdue(db, actor)
    lines = [(f"{e.unit.name} {e.kind_label}", f"{e.title}：应于 {e.due_on} 完成") for e in late[:SHOWN]]
    if len(late) > SHOWN:
        lines.append(("另有", f"{len(late) - SHOWN} 项逾期"))
    lines.append(("逾期整改事项", str(late_follow_ups)))
    level: Level = "bad" if late or late_follow_ups else "ok"
    return Panel(f"逾期的评估、检测和演练（{len(late)}）", level, lines, "/security/exercises")


def _expiry_text(item: Expiring) -> str:
    if item.expired:
        return expired_text(item.system)
    return f"{item.system.assessment_valid_until} 到期（还有 {item.days_left} 天）"


@register_panel
def dengbao_expiring(db: Session, actor: Actor) -> Panel | None:
    if not policy.role_allows(actor, Action.SECURITY_DASHBOARD):
        return None
    found = expiring_systems(db)
    lines = [(f"{i.system.unit.name} {i.system.name}", _expiry_text(i)) for i in found[:SHOWN]]
    if len(found) > SHOWN:
        lines.append(("另有", f"{len(found) - SHOWN} 个系统"))
    level: Level = "bad" if any(i.expired for i in found) else "warn" if found else "ok"
    href = "/orgs/systems" if policy.role_allows(actor, Action.SYSTEM_MANAGE) else None
    return Panel(f"等保测评 {WARN_DAYS} 天内到期或已过期", level, lines or [("接入系统", "均在有效期内")], href)


@router.get("/security")
def dashboard_page(request: Request, db: Db, actor: Actor = requires(Action.SECURITY_DASHBOARD)) -> Response:
    return render(request, "security/dashboard.html", {"panels": panels(db, actor)})
