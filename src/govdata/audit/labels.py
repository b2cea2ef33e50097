"""How the audit trail reads to people: actions, outcomes, methods, objects and actor kinds by their Chinese
names, an object as "共享申请 #7" with a link to it. The page and the CSV export both use these."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata.audit.models import MEDIA, METHODS, OUTCOMES
from govdata.auth.service import people_names
from govdata.jobs.service import job_label
from govdata.orgs.models import Unit
from govdata.policy import ACTION_LABELS, FORMER_LABELS

__all__ = ["ACTIONS", "ACTOR_TYPES", "MEDIA", "METHODS", "OUTCOMES", "TARGETS", "Names", "target_href", "target_text"]

# Every action's Chinese name by its stored code, codes of earlier versions included.
ACTIONS: dict[str, str] = {**FORMER_LABELS, **{str(a): label for a, label in ACTION_LABELS.items()}}
ACTOR_TYPES = {"user": "人员", "system": "接入系统", "platform": "平台"}

# The kind of object an event is about: its Chinese name, and the page that shows one (`{id}` filled in).
TARGETS: dict[str, tuple[str, str | None]] = {
    "share_request": ("共享申请", "/sharing/requests/{id}"),
    "use_agreement": ("共享协议", "/sharing/agreements/{id}"),
    "grant": ("访问权限", "/sharing/grants"),
    "catalog_entry": ("目录", "/catalog/{id}"),
    "catalog": ("目录", "/catalog"),
    "filing": ("备案", "/catalog/filings"),
    "unit": ("单位", "/orgs/units/{id}"),
    "system": ("接入系统", "/orgs/systems"),
    "user": ("用户", None),
    "quality_report": ("质量报告", "/quality/reports/{id}"),
    "comparison": ("比对任务", "/quality/comparisons/{id}"),
    "correction": ("纠错", "/corrections/{id}"),
    "code_table": ("代码表", None),
    "ingest_batch": ("上传批次", "/resources/batches/{id}"),
    "notification": ("通知", None),
    "job": ("定时任务", "/admin/jobs"),
    "workday": ("工作日设置", None),
    "audit": ("审计日志", None),
    "audit_feed": ("审计推送", None),
    "vendor_agreement": ("保密协议", None),
    "open_dataset": ("开放数据集", "/open/datasets/{id}"),
    "open_application": ("开放申请", "/open/applications/{id}"),
    "open_demand": ("开放需求", "/open/demands/{id}"),
    "open_applicant": ("开放申请人", None),
    "open_licence": ("开放许可", None),
    "api_token": ("接口令牌", None),
    "logpush_target": ("日志推送设置", "/security/logpush/{id}"),
    "logpush_delivery": ("日志推送批次", None),
}


def target_text(target_type: str | None, target_id: str | None) -> str:
    """"共享申请 #7"; a kind without a Chinese name shows its code; an id alone is "#id"."""
    if not target_type:
        return f"#{target_id}" if target_id else ""
    name = TARGETS.get(target_type, (target_type, None))[0]
    if not target_id:
        return name
    if target_type == "job":
        return f"{name}「{job_label(target_id)}」"
    return f"{name} #{target_id}" if target_id.isdigit() else f"{name} {target_id}"


def target_href(target_type: str | None, target_id: str | None) -> str | None:
    """The page that shows the object, when there is one."""
    link = TARGETS.get(target_type or "", ("", None))[1]
    if link is None:
        return None
    if "{id}" in link:
        return link.format(id=target_id) if target_id and target_id.isdigit() else None
    return link


@dataclass
class Names:
    """Units and people of a page or an export batch by name (one read each)."""

    units: dict[int, str]
    people: dict[str, str]

    @classmethod
    def load(cls, db: Session, usernames: Iterable[str | None]) -> Names:
        units = {i: n for i, n in db.execute(select(Unit.id, Unit.name))}
        return cls(units, people_names(db, [u for u in usernames if u]))

    def unit(self, unit_id: int | None) -> str:
        return "" if unit_id is None else self.units.get(unit_id, str(unit_id))

    def person(self, username: str | None) -> str:
        return "" if not username else self.people.get(username, username)
