"""The navigation bar: each item is shown to the roles whose policy allows its action."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from govdata import policy
from govdata.actor import Actor
from govdata.policy import Action
from govdata.todo.service import nav_counts


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    action: Action


NAV: list[NavItem] = [
    NavItem("数据目录", "/catalog", Action.CATALOG_VIEW),
    NavItem("数据汇聚", "/resources", Action.RESOURCE_READ),
    NavItem("数据质量", "/quality", Action.QUALITY_VIEW),
    NavItem("纠错", "/corrections", Action.CORRECTION_VIEW),
    NavItem("共享申请", "/sharing", Action.REQUEST_VIEW),
    NavItem("共享审核", "/sharing/reviews", Action.SHARE_REVIEW),
    NavItem("备案审核", "/catalog/filings", Action.FILING_REVIEW),
    NavItem("汇聚监督", "/resources/supervision", Action.FILING_REVIEW),
    NavItem("使用情况", "/sharing/usage", Action.USAGE_VIEW),
    NavItem("全市概览", "/overview", Action.CITY_OVERVIEW),
    NavItem("监督检查", "/supervision", Action.SUPERVISION_VIEW),
    NavItem("信息化项目", "/supervision/projects", Action.PROJECT_VIEW),
    NavItem("回流申请", "/supervision/returnflow", Action.RETURN_FLOW_APPLICATION_VIEW),
    NavItem("保密协议", "/vendors/agreements", Action.VENDOR_AGREEMENT_VIEW),
    NavItem("服务商评价", "/supervision/vendors", Action.VENDOR_RATING_VIEW),
    NavItem("导出审批", "/security/exports", Action.EXPORT_VIEW),
    NavItem("开放目录", "/open/manage", Action.OPEN_PUBLISH),
    NavItem("授权开放申请", "/open/applications", Action.OPEN_APPLICATION_VIEW),
    NavItem("开放需求", "/open/demands", Action.OPEN_DEMAND_VIEW),
    NavItem("授权开发", "/open/manage/licences", Action.OPEN_LICENCE_MANAGE),
    NavItem("单位与专管员", "/orgs/units", Action.ORG_VIEW),
    NavItem("接入系统", "/orgs/systems", Action.SYSTEM_MANAGE),
    NavItem("用户管理", "/admin/users", Action.USER_MANAGE),
    NavItem("工作日", "/admin/workdays", Action.WORKDAYS_MANAGE),
    NavItem("任务", "/admin/jobs", Action.JOBS_VIEW),
    NavItem("邮件队列", "/admin/mail", Action.MAIL_OUTBOX_VIEW),
    NavItem("安全运维", "/security", Action.SECURITY_DASHBOARD),
    NavItem("安全评估与演练", "/security/exercises", Action.EXERCISE_RECORD),
    NavItem("审计日志", "/audit", Action.AUDIT_VIEW),
    NavItem("审计封印", "/audit/seals", Action.AUDIT_SEAL_VIEW),
    NavItem("日志推送", "/security/logpush", Action.LOGPUSH_VIEW),
    NavItem("应急处置", "/security/switches", Action.EMERGENCY_VIEW),
]


def nav_for(actor: Actor | None) -> list[NavItem]:
    if actor is None:
        return []
    return [item for item in NAV if policy.role_allows(actor, item.action)]


def current_href(items: list[NavItem], path: str) -> str | None:
    """The item the page at `path` belongs to: the longest href that is the path or a folder of it, so that
    /sharing/usage is 使用情况 and not also 共享申请 (/sharing)."""
    matching = [i.href for i in items if path == i.href or path.startswith(i.href.rstrip("/") + "/")]
    return max(matching, key=len, default=None)


def badge_counts(db: Session, actor: Actor, items: list[NavItem]) -> dict[str, int]:
    """How much waits for `actor` behind each of these items (by href): the badges beside 共享审核, 备案审核 …"""
    shown = {item.href for item in items}
    return {href: n for href, n in nav_counts(db, actor).items() if href in shown}
