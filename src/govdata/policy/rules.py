"""One rule beside each action: who may attempt it, who may do it to anything, and to which objects the others may.

A `Rule` names the target's attributes that decide (its owning unit, the units party to it, the county that
reviews it, the system it belongs to); `can` reads them off a loaded object and `where` turns the same names
into a SQL condition over the object's model, so a single page and a list of such objects can never disagree.
Rules that need more than the target's own columns get a fact object from `policy.facts`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from govdata.actor import Actor, Role
from govdata.policy.actions import Action
from govdata.policy.facts import ComparisonUse, EntryUse, Halt, Halts


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True)
Check = Callable[[Actor, Any], Decision]

ALL_SIGNED_IN = frozenset(
    {Role.CENTER, Role.BUREAU, Role.COUNTY_OFFICE, Role.SECURITY, Role.STEWARD, Role.UNIT_HEAD, Role.VENDOR,
     Role.FINANCE}
)
UNIT_PEOPLE = frozenset({Role.STEWARD, Role.UNIT_HEAD})
SUPERVISORS = frozenset({Role.BUREAU, Role.SECURITY})
OVERSIGHT = frozenset({Role.BUREAU, Role.SECURITY, Role.CENTER})
NONE: frozenset[Role] = frozenset()


@dataclass(frozen=True)
class Rule:
    """`roles` may attempt the action; `sees_all` may do it to any object; the rest only to objects where
    one of `units` is their unit (unit people, systems), `region` is their county (county offices), `system`
    is their system, `user` is themselves, `vendor` lets a contractor in through its agreements' scope, and
    `check`, when given,
    decides what the columns cannot (grants). `denied` is the reason given when none of these lets them in."""

    roles: frozenset[Role]
    sees_all: frozenset[Role] = NONE
    units: tuple[str, ...] = ("unit_id",)
    region: str | None = None
    system: str | None = None
    user: str | None = None
    vendor: bool = False
    check: Check | None = None
    denied: str = "只能操作本单位的数据"
    own_only: bool = True  # False: the action has no per-object scope (its target never narrows it)
    vendor_purpose: bool = True  # a vendor must say why, on every such request (第二十九条)
    list_filter: Callable[[Actor, Any], Any] | None = None  # `where` for rules whose `check` is not columns
    # Open to anyone, the public included (第十七条): only the target's own state decides (`check`), never the
    # actor's unit or a vendor's agreements.
    public: bool = False


def _role_only(roles: frozenset[Role]) -> Rule:
    return Rule(roles=roles, own_only=False)


def _uses_entry(actor: Actor, use: EntryUse) -> Decision:
    """The owner uses every field of its entry; anyone else only the fields an active grant gives them."""
    if actor.unit_id is not None and actor.unit_id == use.unit_id and actor.kind != "system":
        return ALLOW
    if actor.kind == "system" and actor.unit_id == use.unit_id:
        return ALLOW
    if not use.granted:
        return Decision(False, "没有该资源的有效共享授权")
    missing = use.missing()
    if missing:
        return Decision(False, f"共享授权不含信息项 {'、'.join(missing)}")
    return ALLOW


def _entry_use(actor: Actor, target: Any) -> Decision:
    if isinstance(target, EntryUse):
        return _uses_entry(actor, target)
    return Decision(False, "只能操作本单位的数据")


HALT_OBJECTS = {"platform": "全平台", "system": "接入系统", "provider": "提供单位", "consumer": "使用单位",
                "resource": "数据资源"}


def halt_message(halt: Halt) -> str:
    """How a refusal names the switch that stopped it: 应急处置：接入系统“…”已暂停共享（原因：…）."""
    what = HALT_OBJECTS.get(halt.kind, halt.kind)
    named = what if halt.kind == "platform" else f"{what}“{halt.name}”"
    return f"应急处置：{named}已暂停共享（原因：{halt.reason}）"


def halted(actor: Actor, use: EntryUse, halts: Halts | None) -> Decision:
    """第二十一条 应急处置: whether an emergency switch stops `use` of an entry's values leaving to `actor`.
    A system is stopped whatever it asks (every lookup is sharing); a person only outside the owning unit
    (a unit's own people working on their own data share nothing)."""
    if halts is None or not halts.items:
        return ALLOW
    if actor.kind != "system" and actor.unit_id is not None and actor.unit_id == use.unit_id:
        return ALLOW
    halt = halts.first(system_id=actor.system_id if actor.kind == "system" else None,
                       consumer_unit_id=actor.unit_id, provider_unit_id=use.unit_id, entry_id=use.id)
    return ALLOW if halt is None else Decision(False, halt_message(halt))


def _comparison_use(actor: Actor, target: Any) -> Decision:
    """Both sides of a comparison: each the comparing unit's own, or granted to it on the fields compared
    (and not stopped by an emergency switch)."""
    if not isinstance(target, ComparisonUse):
        return Decision(False, "只能比对本单位或已获共享授权的资源")
    for side, use in (("左侧", target.left), ("右侧", target.right)):
        decision = halted(actor, use, use.halts)
        if decision:
            decision = _uses_entry(actor, use)
        if not decision:
            return Decision(False, f"{side}资源：{decision.reason}")
    return ALLOW


def _draft_own(actor: Actor, target: Any) -> Decision:
    """The catalog is city-wide; a draft never submitted is its unit's own workspace."""
    if getattr(target, "status", None) == "draft" and getattr(target, "code", None) is None \
            and actor.unit_id != getattr(target, "unit_id", None):
        return Decision(False, "该目录仍是草稿，仅本单位可见")
    return ALLOW


def _drafts_own(actor: Actor, model: Any) -> Any:
    from sqlalchemy import or_

    return or_(model.code.is_not(None), model.status != "draft", model.unit_id == (actor.unit_id or -1))


def county_review(actor: Actor, target: Any) -> Decision:
    """A county office reviews only its county's requests; the bureau reviews the city's."""
    region_id = getattr(target, "review_region_id", None)
    if actor.has(Role.COUNTY_OFFICE):
        if region_id is not None and region_id == actor.region_id:
            return ALLOW
        return Decision(False, "只能审核本县（市、区）的申请")
    if region_id is not None:
        return Decision(False, "该申请由县级电子政务管理部门审核")
    return ALLOW


def county_review_where(actor: Actor, model: Any) -> Any:
    """`county_review` over a table: a county office's county's requests, the bureau's the city's."""
    if actor.has(Role.COUNTY_OFFICE) and not actor.has(Role.BUREAU):
        return model.review_region_id == (actor.region_id if actor.region_id is not None else -1)
    return model.review_region_id.is_(None)


def _agreement_own(actor: Actor, target: Any) -> Decision:
    """A unit head records (and ends) a confidentiality agreement only for its own unit, naming only its own
    unit's resources; the center, for any unit (第二十九条)."""
    units = {getattr(target, "unit_id", None), *getattr(target, "scope_unit_ids", ())}
    if actor.unit_id is not None and units == {actor.unit_id}:
        return ALLOW
    return Decision(False, "单位负责人只能为本单位登记保密协议，且只能涵盖本单位的资源")


def _agreement_party(actor: Actor, target: Any) -> Decision:
    """The contracting unit and every unit whose resources the agreement names see it."""
    units = {getattr(target, "unit_id", None), *getattr(target, "scope_unit_ids", ())}
    if actor.unit_id is not None and actor.unit_id in units:
        return ALLOW
    return Decision(False, "只能查看本单位签订或涉及本单位资源的保密协议")


def _agreement_party_where(actor: Actor, model: Any) -> Any:
    from sqlalchemy import or_

    unit_id = actor.unit_id if actor.unit_id is not None else -1
    return or_(model.unit_id == unit_id, model.scope_items.any(unit_id=unit_id))


def _open_listed(actor: Actor, target: Any) -> Decision:
    """An open dataset is seen while it is published; withdrawn, it is gone for everyone at once (第十六条)."""
    if getattr(target, "status", None) == "published":
        return ALLOW
    return Decision(False, "该数据集未开放或已撤回")


def _open_listed_where(actor: Actor, model: Any) -> Any:
    return model.status == "published"


def _open_data(actor: Actor, target: Any) -> Decision:
    """Values leave to anyone from a published 普遍开放 dataset; from a 授权开放 one only to the public account
    whose organisation holds an authorisation in force for it (第十七、十八条: `actor.open_access`)."""
    listed = _open_listed(actor, target)
    if not listed:
        return listed
    if getattr(target, "open_type", None) != "public":
        access = actor.open_access
        if access is not None and getattr(target, "id", None) in access.dataset_ids:
            return ALLOW
        return Decision(False, "该数据集为授权开放类，需申请授权后获取")
    return ALLOW


def _open_data_where(actor: Actor, model: Any) -> Any:
    from sqlalchemy import and_, or_

    access = actor.open_access
    granted = sorted(access.dataset_ids) if access is not None else []
    return and_(model.status == "published",
                or_(model.open_type == "public", model.id.in_(granted)) if granted else model.open_type == "public")


def open_fields(actor: Actor, target: Any) -> frozenset[str] | None:
    """Which fields of an open dataset leave to `actor` (None: every field, 普遍开放): of a 授权开放 dataset,
    only those its organisation's authorisation names."""
    if getattr(target, "open_type", None) == "public":
        return None
    access = actor.open_access
    return access.fields_of(getattr(target, "id", None)) if access is not None else frozenset()


def _always(actor: Actor, target: Any) -> Decision:
    return ALLOW


def _announced(actor: Actor, target: Any) -> Decision:
    """An authorisation is announced once approved (第十八条); pending and rejected applications are not."""
    if getattr(target, "status", None) == "approved":
        return ALLOW
    return Decision(False, "该申请未获批准，不予公告")


def _incident_unit(actor: Actor, target: Any) -> Decision:
    """A unit head sees the incidents that touch its unit (第二十一条: the units affected are told)."""
    if actor.unit_id is not None and actor.unit_id in getattr(target, "affected_unit_ids", ()):
        return ALLOW
    return Decision(False, "只能查看涉及本单位的安全事件")


def _incident_unit_where(actor: Actor, model: Any) -> Any:
    return model.units.any(unit_id=actor.unit_id if actor.unit_id is not None else -1)
def _second_person(actor: Actor, target: Any) -> Decision:
    """An L4 export is approved by another person of the owning unit, never the one who asked (第二十一条)."""
    if actor.unit_id is None or actor.unit_id != getattr(target, "unit_id", None):
        return Decision(False, "只能审批本单位数据的导出")
    if actor.kind != "user" or actor.id is None or actor.id == getattr(target, "requested_by", None):
        return Decision(False, "导出须经第二人审批，申请人不能审批自己的申请")
    return ALLOW


ANYONE = ALL_SIGNED_IN | {Role.PUBLIC}
SECURITY_OPS = frozenset({Role.SECURITY, Role.CENTER})
PARTIES = ("unit_id", "provider_unit_id")

RULES: dict[Action, Rule] = {
    # foundation
    Action.ORG_VIEW: _role_only(ALL_SIGNED_IN),
    Action.REGION_MANAGE: _role_only(frozenset({Role.CENTER})),
    Action.UNIT_MANAGE: _role_only(frozenset({Role.CENTER})),
    Action.SYSTEM_MANAGE: _role_only(frozenset({Role.CENTER})),
    Action.USER_MANAGE: _role_only(frozenset({Role.CENTER})),
    Action.USER_SELF: Rule(ALL_SIGNED_IN, units=(), user="id", denied="只能修改本人的信息"),
    Action.AUTH_LOGIN: _role_only(ALL_SIGNED_IN),
    Action.AUTH_LOGOUT: _role_only(ALL_SIGNED_IN | {Role.PUBLIC}),
    Action.AUDIT_VIEW: _role_only(SUPERVISORS),
    Action.AUDIT_EXPORT: _role_only(SUPERVISORS),
    Action.AUDIT_VERIFY: _role_only(frozenset({Role.CENTER, Role.SECURITY})),
    Action.AUDIT_PURGE: _role_only(frozenset({Role.CENTER})),
    Action.AUDIT_FEED: Rule(frozenset({Role.SYSTEM, Role.STEWARD, Role.UNIT_HEAD, Role.SECURITY}),
                            sees_all=frozenset({Role.SECURITY}),
                            denied="只能读取本单位资源的审计记录"),
    Action.AUDIT_SEAL: _role_only(frozenset({Role.CENTER})),
    Action.AUDIT_SEAL_VIEW: _role_only(frozenset({Role.CENTER, Role.SECURITY})),
    # Security keeps its own copy of the seals, apart from the center that runs the platform and holds the key.
    Action.AUDIT_SEAL_EXPORT: _role_only(frozenset({Role.CENTER, Role.SECURITY})),
    Action.AUDIT_SEAL_ROTATE: _role_only(frozenset({Role.CENTER})),
    Action.WORKDAYS_MANAGE: _role_only(frozenset({Role.CENTER})),
    Action.JOBS_VIEW: _role_only(frozenset({Role.CENTER})),
    Action.CITY_OVERVIEW: _role_only(frozenset({Role.CENTER, Role.BUREAU, Role.SECURITY})),
    Action.JOBS_RUN: _role_only(frozenset({Role.CENTER})),
    Action.NOTIFICATION_READ: Rule(ALL_SIGNED_IN, units=(), user="user_id", denied="只能阅读发给本人的通知"),
    # Background work is seen by the person who started it and by their unit (whose data it works on).
    Action.WORK_VIEW: Rule(ALL_SIGNED_IN, user="owner_id", denied="只能查看本人或本单位的后台任务"),
    # An exported file is taken away only by the person who exported it (the export is on record as theirs).
    Action.WORK_DOWNLOAD: Rule(ALL_SIGNED_IN, units=(), user="owner_id", denied="只能下载本人导出的文件"),
    # catalog
    Action.CATALOG_VIEW: Rule(ALL_SIGNED_IN | {Role.SYSTEM}, units=(), vendor=True, vendor_purpose=False,
                              check=_draft_own, list_filter=lambda a, m: _drafts_own(a, m),
                              denied="不在保密协议约定的范围内"),
    Action.CATALOG_DRAFT: Rule(frozenset({Role.STEWARD})),
    Action.CATALOG_SUBMIT: Rule(frozenset({Role.UNIT_HEAD})),
    Action.CATALOG_RETIRE: Rule(frozenset({Role.UNIT_HEAD})),
    Action.CATALOG_IMPORT: Rule(frozenset({Role.STEWARD})),
    Action.CATALOG_EXPORT: _role_only(ALL_SIGNED_IN - {Role.VENDOR}),
    Action.FILING_VIEW: Rule(UNIT_PEOPLE | {Role.BUREAU, Role.CENTER}, sees_all=frozenset({Role.BUREAU, Role.CENTER}),
                             denied="只能查看本单位的备案"),
    Action.FILING_REVIEW: _role_only(frozenset({Role.BUREAU})),
    # datastore
    Action.RESOURCE_PUSH: Rule(frozenset({Role.SYSTEM})),
    Action.RESOURCE_UPLOAD: Rule(frozenset({Role.STEWARD})),
    Action.RESOURCE_READ: Rule(UNIT_PEOPLE | {Role.VENDOR}, vendor=True, denied="只能查询本单位的数据"),
    Action.BATCH_VIEW: Rule(UNIT_PEOPLE | {Role.VENDOR, Role.BUREAU, Role.CENTER},
                            sees_all=frozenset({Role.BUREAU, Role.CENTER}), vendor=True,
                            denied="只能查看本单位的汇聚批次"),
    Action.RETURN_FLOW_MANAGE: Rule(frozenset({Role.STEWARD})),
    Action.RETURN_FLOW_RUN: Rule(frozenset({Role.STEWARD})),
    # quality
    Action.QUALITY_RULE_MANAGE: Rule(frozenset({Role.STEWARD})),
    Action.QUALITY_SCAN: Rule(frozenset({Role.STEWARD, Role.BUREAU}), sees_all=frozenset({Role.BUREAU})),
    Action.QUALITY_VIEW: Rule(UNIT_PEOPLE | {Role.BUREAU, Role.CENTER, Role.VENDOR},
                              sees_all=frozenset({Role.BUREAU, Role.CENTER}), vendor=True,
                              denied="只能查看本单位的质量报告"),
    Action.COMPARISON_RUN: Rule(frozenset({Role.STEWARD, Role.BUREAU}), sees_all=frozenset({Role.BUREAU}), units=(),
                                check=_comparison_use),
    Action.COMPARISON_VIEW: Rule(UNIT_PEOPLE | {Role.BUREAU, Role.CENTER},
                                 sees_all=frozenset({Role.BUREAU, Role.CENTER}),
                                 units=("unit_id", "left_unit_id", "right_unit_id"), denied="只能查看本单位参与的比对"),
    Action.CODE_TABLE_VIEW: _role_only(ALL_SIGNED_IN | {Role.SYSTEM}),
    Action.CODE_TABLE_MANAGE: _role_only(frozenset({Role.CENTER})),
    Action.CORRECTION_REPORT: Rule(UNIT_PEOPLE | {Role.SYSTEM, Role.BUREAU}, sees_all=frozenset({Role.BUREAU}),
                                   units=(), check=_entry_use),
    Action.CORRECTION_ANSWER: Rule(frozenset({Role.STEWARD})),
    Action.CORRECTION_VIEW: Rule(UNIT_PEOPLE | {Role.SYSTEM, Role.BUREAU}, sees_all=frozenset({Role.BUREAU}),
                                 units=("unit_id", "reporter_unit_id"), system="reporter_system_id",
                                 denied="只能查看本单位提交或收到的纠错"),
    # sharing
    Action.CREDENTIAL_ISSUE: _role_only(frozenset({Role.CENTER})),
    Action.SHARE_REQUEST: _role_only(frozenset({Role.STEWARD})),
    Action.SHARE_WITHDRAW: Rule(frozenset({Role.STEWARD}), denied="只能撤回本单位的申请"),
    Action.SHARE_OPINION: Rule(UNIT_PEOPLE, units=("provider_unit_id",), denied="只能对本单位提供的资源发表意见"),
    Action.SHARE_REVIEW: Rule(frozenset({Role.BUREAU, Role.COUNTY_OFFICE}), units=(), check=county_review,
                              list_filter=lambda a, m: county_review_where(a, m)),
    Action.REQUEST_VIEW: Rule(UNIT_PEOPLE | OVERSIGHT | {Role.COUNTY_OFFICE}, sees_all=OVERSIGHT, units=PARTIES,
                              region="review_region_id", denied="只能查看本单位参与的共享申请"),
    Action.AGREEMENT_VIEW: Rule(UNIT_PEOPLE | OVERSIGHT | {Role.COUNTY_OFFICE}, sees_all=OVERSIGHT, units=PARTIES,
                                region="review_region_id", denied="只能查看本单位参与的使用协议"),
    Action.AGREEMENT_ACCEPT: Rule(frozenset({Role.UNIT_HEAD}), units=PARTIES, denied="只能接受本单位参与的协议"),
    Action.GRANT_VIEW: Rule(UNIT_PEOPLE | OVERSIGHT | {Role.SYSTEM}, sees_all=OVERSIGHT, units=PARTIES,
                            system="system_id", denied="只能查看本单位参与的访问权限"),
    Action.GRANT_ACTIVATE: _role_only(frozenset({Role.CENTER})),
    Action.GRANT_SUSPEND: Rule(frozenset({Role.UNIT_HEAD, Role.STEWARD, Role.BUREAU, Role.SECURITY}),
                               sees_all=SUPERVISORS, units=("provider_unit_id",),
                               denied="只有提供单位、大数据局或安全监管部门可以暂停或撤销"),
    Action.SHARE_LOOKUP: Rule(frozenset({Role.SYSTEM}), units=(), check=_entry_use),
    # the bureau and security see the whole city's use, a county office its county's, a unit its own
    # emergency switches (第二十一条 应急处置): security, and the center that runs the platform, act at once
    Action.EMERGENCY_SWITCH: _role_only(frozenset({Role.SECURITY, Role.CENTER})),
    Action.EMERGENCY_VIEW: _role_only(OVERSIGHT),
    Action.USAGE_VIEW: Rule(UNIT_PEOPLE | SUPERVISORS | {Role.COUNTY_OFFICE}, sees_all=SUPERVISORS,
                            region="unit_region_id", denied="只能查看本单位（县级部门：本县）的使用情况"),
    # vendors (第二十九条): the vendor reads its own agreements (the `user` column), never through its unit
    Action.VENDOR_AGREEMENT_MANAGE: Rule(frozenset({Role.CENTER, Role.UNIT_HEAD}), sees_all=frozenset({Role.CENTER}),
                                         check=_agreement_own),
    Action.VENDOR_AGREEMENT_VIEW: Rule(UNIT_PEOPLE | OVERSIGHT | {Role.VENDOR}, sees_all=OVERSIGHT,
                                       user="vendor_user_id", check=_agreement_party,
                                       list_filter=lambda a, m: _agreement_party_where(a, m)),
    # open data (第十六、十七条): the bureau publishes and withdraws; anyone reads what is published
    Action.OPEN_PUBLISH: _role_only(frozenset({Role.BUREAU})),
    Action.OPEN_WITHDRAW: _role_only(frozenset({Role.BUREAU})),
    Action.OPEN_VIEW: Rule(ANYONE, units=(), public=True, check=_open_listed,
                           list_filter=lambda a, m: _open_listed_where(a, m), denied="该数据集未开放或已撤回"),
    Action.OPEN_DOWNLOAD: Rule(ANYONE, units=(), public=True, check=_open_data,
                               list_filter=lambda a, m: _open_data_where(a, m), denied="该数据集未开放或已撤回"),
    # a visitor who has not signed in opens a public account; a public account manages only its own app keys
    Action.OPEN_SIGNUP: Rule(frozenset({Role.PUBLIC}), units=(), public=True, own_only=False),
    Action.OPEN_KEY: Rule(frozenset({Role.PUBLIC}), units=(), user="user_id", denied="只能管理本人的应用密钥"),
    # authorised opening (第十七、十八条): the applicant's own organisation and applications; the providing unit
    # gives its opinion on applications for its data; the bureau sets conditions and decides
    Action.OPEN_APPLICANT: Rule(frozenset({Role.PUBLIC}), units=(), user="user_id", denied="只能维护本人的申请主体"),
    Action.OPEN_APPLY: Rule(frozenset({Role.PUBLIC}), units=(), user="user_id", denied="只能以本人的申请主体申请"),
    Action.OPEN_APPLICATION_VIEW: Rule(UNIT_PEOPLE | SUPERVISORS | {Role.PUBLIC}, sees_all=SUPERVISORS,
                                       user="user_id", denied="只能查看本人提交或涉及本单位数据的申请"),
    Action.OPEN_CONDITIONS: _role_only(frozenset({Role.BUREAU})),
    Action.OPEN_OPINION: Rule(UNIT_PEOPLE, denied="只能对本单位提供的数据发表意见"),
    Action.OPEN_REVIEW: _role_only(frozenset({Role.BUREAU})),
    Action.OPEN_NOTICE_VIEW: Rule(ANYONE, units=(), public=True, check=_announced,
                                  list_filter=lambda a, m: m.status == "approved", denied="该申请未获批准，不予公告"),
    # public demands (第十九条): a public account files; the bureau assigns; the providing unit answers
    Action.OPEN_DEMAND: Rule(frozenset({Role.PUBLIC}), units=(), user="user_id", denied="只能以本人名义提交需求"),
    Action.OPEN_DEMAND_ASSIGN: _role_only(frozenset({Role.BUREAU})),
    Action.OPEN_DEMAND_ANSWER: Rule(UNIT_PEOPLE, denied="只能答复指定给本单位的需求"),
    Action.OPEN_DEMAND_VIEW: Rule(ANYONE, units=(), public=True, check=_always, list_filter=lambda a, m: true_(),
                                  denied="需求不存在"),
    # commercial development (第二十条): the bureau records selections, licences and revenue; licences are public
    Action.OPEN_LICENCE_MANAGE: _role_only(frozenset({Role.BUREAU})),
    Action.OPEN_LICENCE_VIEW: Rule(ANYONE, units=(), public=True, check=_always, list_filter=lambda a, m: true_(),
                                   denied="许可不存在"),
    # security operations: the center and security set each unit's log push and see all; a unit sees its own
    Action.LOGPUSH_MANAGE: _role_only(frozenset({Role.CENTER, Role.SECURITY})),
    Action.LOGPUSH_VIEW: Rule(UNIT_PEOPLE | {Role.CENTER, Role.SECURITY},
                              sees_all=frozenset({Role.CENTER, Role.SECURITY}), denied="只能查看本单位的日志推送"),
    Action.LOGPUSH_DELIVER: _role_only(NONE),  # the platform's job alone
    # security operations (第二十一、二十二条): the security role records incidents and plans assessments, tests
    # and drills; the center watches; a unit head sees its unit's incidents; a unit records its own exercises
    Action.SECURITY_DASHBOARD: _role_only(SECURITY_OPS),
    Action.INCIDENT_RECORD: _role_only(frozenset({Role.SECURITY})),
    Action.INCIDENT_VIEW: Rule(SECURITY_OPS | {Role.UNIT_HEAD}, sees_all=SECURITY_OPS, check=_incident_unit,
                               list_filter=lambda a, m: _incident_unit_where(a, m),
                               denied="只能查看涉及本单位的安全事件"),
    Action.EXERCISE_PLAN: Rule(frozenset({Role.SECURITY, Role.UNIT_HEAD}), sees_all=frozenset({Role.SECURITY}),
                               denied="只能为本单位安排评估、检测或演练"),
    Action.EXERCISE_RECORD: Rule(UNIT_PEOPLE, denied="只能记录本单位的评估、检测和演练"),
    Action.EXERCISE_VIEW: Rule(UNIT_PEOPLE | SECURITY_OPS, sees_all=SECURITY_OPS,
                               denied="只能查看本单位的评估、检测和演练"),
    Action.DENGBAO_ANNOUNCE: _role_only(frozenset({Role.CENTER})),
    # backups (第二十四条): the center runs the platform and its backups; security watches that they happen
    Action.BACKUP_CREATE: _role_only(frozenset({Role.CENTER})),
    Action.BACKUP_RESTORE: _role_only(frozenset({Role.CENTER})),
    Action.BACKUP_VIEW: _role_only(frozenset({Role.CENTER, Role.SECURITY})),
    # grading that decides (第二十一条): an export of L4 values waits for a second person of the owning unit
    Action.EXPORT_REQUEST: Rule(UNIT_PEOPLE, denied="只能为本单位的数据申请导出"),
    Action.EXPORT_APPROVE: Rule(UNIT_PEOPLE, check=_second_person,
                                list_filter=lambda a, m: m.unit_id == (a.unit_id if a.unit_id is not None else -1)),
    Action.EXPORT_VIEW: Rule(UNIT_PEOPLE | SUPERVISORS, sees_all=SUPERVISORS, denied="只能查看本单位的导出审批"),
    # supervision (第二十六、二十七条): the bureau sees the city, a county office its county (the target's
    # `region_id`), a unit's people their own unit; the targets are `supervision.service.Area`s
    Action.SUPERVISION_VIEW: Rule(UNIT_PEOPLE | {Role.BUREAU, Role.COUNTY_OFFICE}, sees_all=frozenset({Role.BUREAU}),
                                  region="region_id", denied="只能查看本单位（县级部门：本县）的监督检查指标"),
    Action.SUPERVISION_COMPUTE: _role_only(frozenset({Role.BUREAU})),
    # IT projects (第六、二十八条): a unit's people manage their own unit's projects; the bureau sees and checks
    # every project, a county office its county's (the project's `region_id`); finance (市财政局) reads every
    # project's eligibility for operating funds and changes nothing
    Action.PROJECT_VIEW: Rule(UNIT_PEOPLE | {Role.BUREAU, Role.COUNTY_OFFICE, Role.FINANCE},
                              sees_all=frozenset({Role.BUREAU, Role.FINANCE}), region="region_id",
                              denied="只能查看本单位（县级部门：本县）的信息化项目"),
    Action.PROJECT_REGISTER: Rule(UNIT_PEOPLE, denied="只能登记本单位的信息化项目"),
    Action.PROJECT_DECLARE: Rule(UNIT_PEOPLE, denied="只能为本单位的项目申报数据资产"),
    Action.PROJECT_LINK: Rule(UNIT_PEOPLE, denied="只能关联本单位项目的数据资产"),
    Action.PROJECT_ADVANCE: Rule(UNIT_PEOPLE, denied="只能推进本单位的信息化项目"),
    Action.PROJECT_CHECK: Rule(UNIT_PEOPLE | {Role.BUREAU, Role.COUNTY_OFFICE}, sees_all=frozenset({Role.BUREAU}),
                               region="region_id", denied="只能检查本单位（县级部门：本县）的信息化项目"),
    # return flow (第九条): a unit applies for its own entries; the bureau sees the city, a county office its
    # county (the target's `region_id`), a unit itself; targets are applications or `supervision.service.Area`s
    Action.RETURN_FLOW_APPLY: Rule(UNIT_PEOPLE, denied="只能为本单位的资源登记回流申请"),
    Action.RETURN_FLOW_APPLICATION_VIEW: Rule(UNIT_PEOPLE | {Role.BUREAU, Role.COUNTY_OFFICE},
                                              sees_all=frozenset({Role.BUREAU}), region="region_id",
                                              denied="只能查看本单位（县级部门：本县）的回流申请"),
    # vendor evaluation (第二十七条): the bureau scores; oversight sees every vendor, a vendor its own rating
    Action.VENDOR_SCORE: _role_only(frozenset({Role.BUREAU})),
    Action.VENDOR_RATING_VIEW: Rule(OVERSIGHT | {Role.VENDOR}, sees_all=OVERSIGHT, units=(), user="vendor_user_id",
                                    denied="只能查看本服务商的评价"),
    # e-mail reminders: a person sets their own address and switch; the center, who administers accounts, anyone's
    Action.MAIL_SETTINGS: Rule(ALL_SIGNED_IN, sees_all=frozenset({Role.CENTER}), units=(), user="user_id",
                               denied="只能修改本人的邮件提醒设置"),
    Action.MAIL_OUTBOX_VIEW: _role_only(frozenset({Role.CENTER})),
    Action.MAIL_REMIND: _role_only(NONE),  # the platform's job alone
    Action.MAIL_DELIVER: _role_only(NONE),  # the platform's job alone
}


def true_() -> Any:
    from sqlalchemy import true

    return true()
