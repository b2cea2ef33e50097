"""The one place that decides who may do what.

`Action` names every operation; `ROLE_ACTIONS` says which roles may attempt it; `SCOPE_RULES` hold the
rules that depend on the target (own unit, own county). Routes ask `require_role` early (so a role that
may never do a thing gets 403 before any lookup); services ask `require` with the loaded target through
`audit.acting`, which also writes the audit event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from govdata.actor import Actor, Role
from govdata.errors import Forbidden
from govdata.targets import TargetRef


class Action(StrEnum):
    # foundation
    ORG_VIEW = "org.view"
    REGION_MANAGE = "region.manage"
    UNIT_MANAGE = "unit.manage"
    SYSTEM_MANAGE = "system.manage"
    USER_MANAGE = "user.manage"
    USER_SELF = "user.self"
    AUTH_LOGIN = "auth.login"
    AUTH_LOGOUT = "auth.logout"
    AUDIT_VIEW = "audit.view"
    AUDIT_EXPORT = "audit.export"
    AUDIT_VERIFY = "audit.verify"
    AUDIT_PURGE = "audit.purge"
    AUDIT_FEED = "audit.feed"
    AUDIT_SEAL = "audit.seal"
    AUDIT_SEAL_VIEW = "audit.seal_view"
    AUDIT_SEAL_EXPORT = "audit.seal_export"
    AUDIT_SEAL_ROTATE = "audit.seal_rotate"
    WORKDAYS_MANAGE = "workdays.manage"
    JOBS_VIEW = "jobs.view"
    JOBS_RUN = "jobs.run"
    NOTIFICATION_READ = "notification.read"
    # catalog
    CATALOG_VIEW = "catalog.view"
    CATALOG_DRAFT = "catalog.draft"
    CATALOG_SUBMIT = "catalog.submit"
    CATALOG_RETIRE = "catalog.retire"
    CATALOG_IMPORT = "catalog.import"
    CATALOG_EXPORT = "catalog.export"
    FILING_REVIEW = "filing.review"
    # datastore
    RESOURCE_PUSH = "resource.push"
    RESOURCE_UPLOAD = "resource.upload"
    RESOURCE_READ_OWN = "resource.read_own"
    RETURN_FLOW_MANAGE = "return_flow.manage"
    RETURN_FLOW_RUN = "return_flow.run"
    # quality
    QUALITY_RULE_MANAGE = "quality.rule_manage"
    QUALITY_SCAN = "quality.scan"
    QUALITY_VIEW = "quality.view"
    COMPARISON_RUN = "comparison.run"
    CODE_TABLE_MANAGE = "code_table.manage"
    CORRECTION_REPORT = "correction.report"
    CORRECTION_ANSWER = "correction.answer"
    CORRECTION_VIEW = "correction.view"
    # sharing
    CREDENTIAL_ISSUE = "credential.issue"
    SHARE_REQUEST = "share.request"
    SHARE_OPINION = "share.opinion"
    SHARE_REVIEW = "share.review"
    AGREEMENT_ACCEPT = "agreement.accept"
    GRANT_ACTIVATE = "grant.activate"
    GRANT_SUSPEND = "grant.suspend"
    SHARE_LOOKUP = "share.lookup"
    USAGE_VIEW = "usage.view"


# How pages name each action (the audit log, its filter); the code stays beside it, as it is stored.
ACTION_LABELS: dict[Action, str] = {
    Action.ORG_VIEW: "查看单位与系统", Action.REGION_MANAGE: "维护行政区划", Action.UNIT_MANAGE: "维护单位",
    Action.SYSTEM_MANAGE: "维护接入系统", Action.USER_MANAGE: "管理用户", Action.USER_SELF: "修改本人信息",
    Action.AUTH_LOGIN: "登录", Action.AUTH_LOGOUT: "退出", Action.AUDIT_VIEW: "查看审计日志",
    Action.AUDIT_EXPORT: "导出审计日志", Action.AUDIT_VERIFY: "校验审计链", Action.AUDIT_PURGE: "清理过期审计日志",
    Action.AUDIT_FEED: "读取审计推送", Action.AUDIT_SEAL: "封印审计链", Action.AUDIT_SEAL_VIEW: "查看审计封印",
    Action.AUDIT_SEAL_EXPORT: "导出审计封印", Action.AUDIT_SEAL_ROTATE: "更换审计封印密钥",
    Action.WORKDAYS_MANAGE: "维护工作日", Action.JOBS_VIEW: "查看定时任务",
    Action.JOBS_RUN: "运行定时任务", Action.NOTIFICATION_READ: "阅读通知",
    Action.CATALOG_VIEW: "查看目录", Action.CATALOG_DRAFT: "编制目录", Action.CATALOG_SUBMIT: "提交目录",
    Action.CATALOG_RETIRE: "停用目录", Action.CATALOG_IMPORT: "导入目录", Action.CATALOG_EXPORT: "导出目录",
    Action.FILING_REVIEW: "备案审核",
    Action.RESOURCE_PUSH: "实时推送数据", Action.RESOURCE_UPLOAD: "上传数据",
    Action.RESOURCE_READ_OWN: "查询本单位数据",
    Action.RETURN_FLOW_MANAGE: "维护回流任务", Action.RETURN_FLOW_RUN: "运行回流任务",
    Action.QUALITY_RULE_MANAGE: "维护质量规则", Action.QUALITY_SCAN: "质量检测", Action.QUALITY_VIEW: "查看质量报告",
    Action.COMPARISON_RUN: "数据比对", Action.CODE_TABLE_MANAGE: "维护代码表", Action.CORRECTION_REPORT: "提交纠错",
    Action.CORRECTION_ANSWER: "答复纠错", Action.CORRECTION_VIEW: "查看纠错",
    Action.CREDENTIAL_ISSUE: "签发系统凭证", Action.SHARE_REQUEST: "共享申请", Action.SHARE_OPINION: "提供单位意见",
    Action.SHARE_REVIEW: "共享审核", Action.AGREEMENT_ACCEPT: "接受使用协议", Action.GRANT_ACTIVATE: "开通访问权限",
    Action.GRANT_SUSPEND: "暂停或撤销访问权限", Action.SHARE_LOOKUP: "共享调用", Action.USAGE_VIEW: "查看使用情况",
}


ALL_SIGNED_IN = frozenset(
    {Role.CENTER, Role.BUREAU, Role.COUNTY_OFFICE, Role.SECURITY, Role.STEWARD, Role.UNIT_HEAD, Role.VENDOR}
)
UNIT_PEOPLE = frozenset({Role.STEWARD, Role.UNIT_HEAD})
SUPERVISORS = frozenset({Role.BUREAU, Role.SECURITY})

ROLE_ACTIONS: dict[Action, frozenset[Role]] = {
    Action.ORG_VIEW: ALL_SIGNED_IN,
    Action.REGION_MANAGE: frozenset({Role.CENTER}),
    Action.UNIT_MANAGE: frozenset({Role.CENTER}),
    Action.SYSTEM_MANAGE: frozenset({Role.CENTER}),
    Action.USER_MANAGE: frozenset({Role.CENTER}),
    Action.USER_SELF: ALL_SIGNED_IN,
    Action.AUTH_LOGIN: ALL_SIGNED_IN,
    Action.AUTH_LOGOUT: ALL_SIGNED_IN,
    Action.AUDIT_VIEW: SUPERVISORS,
    Action.AUDIT_EXPORT: SUPERVISORS,
    Action.AUDIT_VERIFY: frozenset({Role.CENTER, Role.SECURITY}),
    Action.AUDIT_PURGE: frozenset({Role.CENTER}),
    Action.AUDIT_FEED: frozenset({Role.SYSTEM, Role.STEWARD, Role.UNIT_HEAD, Role.SECURITY}),
    Action.AUDIT_SEAL: frozenset({Role.CENTER}),
    Action.AUDIT_SEAL_VIEW: frozenset({Role.CENTER, Role.SECURITY}),
    # Security keeps its own copy of the seals, apart from the center that runs the platform and holds the key.
    Action.AUDIT_SEAL_EXPORT: frozenset({Role.CENTER, Role.SECURITY}),
    Action.AUDIT_SEAL_ROTATE: frozenset({Role.CENTER}),
    Action.WORKDAYS_MANAGE: frozenset({Role.CENTER}),
    Action.JOBS_VIEW: frozenset({Role.CENTER}),
    Action.JOBS_RUN: frozenset({Role.CENTER}),
    Action.NOTIFICATION_READ: ALL_SIGNED_IN,
    Action.CATALOG_VIEW: ALL_SIGNED_IN | {Role.SYSTEM},
    Action.CATALOG_DRAFT: frozenset({Role.STEWARD}),
    Action.CATALOG_SUBMIT: frozenset({Role.UNIT_HEAD}),
    Action.CATALOG_RETIRE: frozenset({Role.UNIT_HEAD}),
    Action.CATALOG_IMPORT: frozenset({Role.STEWARD}),
    Action.CATALOG_EXPORT: ALL_SIGNED_IN,
    Action.FILING_REVIEW: frozenset({Role.BUREAU}),
    Action.RESOURCE_PUSH: frozenset({Role.SYSTEM}),
    Action.RESOURCE_UPLOAD: frozenset({Role.STEWARD}),
    Action.RESOURCE_READ_OWN: UNIT_PEOPLE | {Role.VENDOR},
    Action.RETURN_FLOW_MANAGE: frozenset({Role.STEWARD}),
    Action.RETURN_FLOW_RUN: frozenset({Role.STEWARD}),
    Action.QUALITY_RULE_MANAGE: frozenset({Role.STEWARD}),
    Action.QUALITY_SCAN: frozenset({Role.STEWARD, Role.BUREAU}),
    Action.QUALITY_VIEW: UNIT_PEOPLE | {Role.BUREAU, Role.CENTER, Role.VENDOR},
    Action.COMPARISON_RUN: frozenset({Role.STEWARD, Role.BUREAU}),
    Action.CODE_TABLE_MANAGE: frozenset({Role.CENTER}),
    Action.CORRECTION_REPORT: UNIT_PEOPLE | {Role.SYSTEM, Role.BUREAU},
    Action.CORRECTION_ANSWER: frozenset({Role.STEWARD}),
    Action.CORRECTION_VIEW: UNIT_PEOPLE | {Role.SYSTEM, Role.BUREAU},
    Action.CREDENTIAL_ISSUE: frozenset({Role.CENTER}),
    Action.SHARE_REQUEST: frozenset({Role.STEWARD}),
    Action.SHARE_OPINION: UNIT_PEOPLE,
    Action.SHARE_REVIEW: frozenset({Role.BUREAU, Role.COUNTY_OFFICE}),
    Action.AGREEMENT_ACCEPT: frozenset({Role.UNIT_HEAD}),
    Action.GRANT_ACTIVATE: frozenset({Role.CENTER}),
    Action.GRANT_SUSPEND: frozenset({Role.UNIT_HEAD, Role.STEWARD, Role.BUREAU, Role.SECURITY}),
    Action.SHARE_LOOKUP: frozenset({Role.SYSTEM}),
    Action.USAGE_VIEW: UNIT_PEOPLE | SUPERVISORS,
}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True)

ScopeRule = Callable[[Actor, Any], Decision]


def own_unit(actor: Actor, target: Any) -> Decision:
    """Unit people and systems act only on their own unit's things."""
    unit_id = getattr(target, "unit_id", None)
    if unit_id is None or actor.unit_id == unit_id:
        return ALLOW
    return Decision(False, "只能操作本单位的数据")


def own_unit_unless_supervisor(actor: Actor, target: Any) -> Decision:
    if actor.has(Role.BUREAU, Role.SECURITY, Role.CENTER):
        return ALLOW
    return own_unit(actor, target)


def county_reviewer(actor: Actor, target: Any) -> Decision:
    """A county office reviews only its county's requests; the bureau reviews the city's."""
    region_id = getattr(target, "review_region_id", None)
    if actor.has(Role.COUNTY_OFFICE):
        if region_id is not None and region_id == actor.region_id:
            return ALLOW
        return Decision(False, "只能审核本县（市、区）的申请")
    if region_id is not None:
        return Decision(False, "该申请由县级电子政务管理部门审核")
    return ALLOW


SCOPE_RULES: dict[Action, ScopeRule] = {
    Action.CATALOG_DRAFT: own_unit,
    Action.CATALOG_SUBMIT: own_unit,
    Action.CATALOG_RETIRE: own_unit,
    Action.CATALOG_IMPORT: own_unit,
    Action.RESOURCE_PUSH: own_unit,
    Action.RESOURCE_UPLOAD: own_unit,
    Action.RESOURCE_READ_OWN: own_unit,
    Action.RETURN_FLOW_MANAGE: own_unit,
    Action.RETURN_FLOW_RUN: own_unit,
    Action.QUALITY_RULE_MANAGE: own_unit,
    Action.QUALITY_SCAN: own_unit_unless_supervisor,
    Action.QUALITY_VIEW: own_unit_unless_supervisor,
    Action.CORRECTION_ANSWER: own_unit,
    Action.SHARE_OPINION: own_unit,
    Action.SHARE_REVIEW: county_reviewer,
    Action.AGREEMENT_ACCEPT: own_unit,
    Action.USAGE_VIEW: own_unit_unless_supervisor,
    Action.AUDIT_FEED: own_unit_unless_supervisor,
}


def role_allows(actor: Actor, action: Action) -> Decision:
    if Role.PLATFORM in actor.roles:
        return ALLOW
    if actor.roles & ROLE_ACTIONS[action]:
        return ALLOW
    return Decision(False, "当前角色无权执行此操作")


def can(actor: Actor, action: Action, target: Any = None) -> Decision:
    decision = role_allows(actor, action)
    if not decision or Role.PLATFORM in actor.roles:
        return decision
    rule = SCOPE_RULES.get(action)
    if rule is None or target is None:
        return ALLOW
    return rule(actor, target)


class Denied(Forbidden):
    """A refused attempt; carries what the audit trail needs to record it."""

    def __init__(self, actor: Actor, action: Action, target: Any, reason: str) -> None:
        super().__init__(reason)
        self.actor = actor
        self.action = action
        self.target = TargetRef.of(target)  # a snapshot: the object may be expired once the request rolls back


def require(actor: Actor, action: Action, target: Any = None) -> None:
    decision = can(actor, action, target)
    if not decision:
        raise Denied(actor, action, target, decision.reason)


def require_role(actor: Actor, action: Action) -> None:
    decision = role_allows(actor, action)
    if not decision:
        raise Denied(actor, action, None, decision.reason)
