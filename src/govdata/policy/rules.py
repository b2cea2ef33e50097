"""One rule beside each action: who may attempt it, who may do it to anything, and to which objects the others may.

A `Rule` (`policy.rule`) names the target's attributes that decide (its owning unit, the units party to it, the
county that reviews it, the system it belongs to); `can` reads them off a loaded object and `where` turns the same
names into a SQL condition over the object's model, so a single page and a list of such objects can never disagree.
Rules that need more than the target's own columns get a fact object from `policy.facts` and a check from the
domain's `checks_*` module. The names below are re-exported: the rest of the code imports them from here.
"""

from __future__ import annotations

from govdata.actor import Role
from govdata.policy.actions import Action
from govdata.policy.checks_open import (
    always,
    announced,
    open_data,
    open_data_where,
    open_fields,
    open_listed,
    open_listed_where,
    true_,
)
from govdata.policy.checks_sharing import (
    HALT_OBJECTS,
    comparison_use,
    county_review,
    county_review_where,
    entry_use,
    halt_message,
    halted,
)
from govdata.policy.checks_units import (
    agreement_own,
    agreement_party,
    agreement_party_where,
    draft_own,
    drafts_own,
    incident_unit,
    incident_unit_where,
    second_person,
)
from govdata.policy.rule import (
    ALL_SIGNED_IN,
    ALLOW,
    ANYONE,
    NONE,
    OVERSIGHT,
    SECURITY_OPS,
    SUPERVISORS,
    UNIT_PEOPLE,
    Check,
    Decision,
    Rule,
    role_only,
)

__all__ = ["ALLOW", "ALL_SIGNED_IN", "ANYONE", "HALT_OBJECTS", "NONE", "OVERSIGHT", "RULES", "SECURITY_OPS",
           "SUPERVISORS", "UNIT_PEOPLE", "Check", "Decision", "Rule", "county_review", "county_review_where",
           "halt_message", "halted", "open_fields", "true_"]

PARTIES = ("unit_id", "provider_unit_id")

RULES: dict[Action, Rule] = {
    # foundation
    Action.ORG_VIEW: role_only(ALL_SIGNED_IN),
    Action.REGION_MANAGE: role_only(frozenset({Role.CENTER})),
    Action.UNIT_MANAGE: role_only(frozenset({Role.CENTER})),
    Action.SYSTEM_MANAGE: role_only(frozenset({Role.CENTER})),
    Action.USER_MANAGE: role_only(frozenset({Role.CENTER})),
    Action.USER_SELF: Rule(ALL_SIGNED_IN, units=(), user="id", denied="只能修改本人的信息"),
    Action.AUTH_LOGIN: role_only(ALL_SIGNED_IN),
    Action.AUTH_LOGOUT: role_only(ALL_SIGNED_IN | {Role.PUBLIC}),
    Action.AUDIT_VIEW: role_only(SUPERVISORS),
    Action.AUDIT_EXPORT: role_only(SUPERVISORS),
    Action.AUDIT_VERIFY: role_only(frozenset({Role.CENTER, Role.SECURITY})),
    Action.AUDIT_PURGE: role_only(frozenset({Role.CENTER})),
    Action.AUDIT_FEED: Rule(frozenset({Role.SYSTEM, Role.STEWARD, Role.UNIT_HEAD, Role.SECURITY}),
                            sees_all=frozenset({Role.SECURITY}),
                            denied="只能读取本单位资源的审计记录"),
    Action.AUDIT_SEAL: role_only(frozenset({Role.CENTER})),
    Action.AUDIT_SEAL_VIEW: role_only(frozenset({Role.CENTER, Role.SECURITY})),
    # Security keeps its own copy of the seals, apart from the center that runs the platform and holds the key.
    Action.AUDIT_SEAL_EXPORT: role_only(frozenset({Role.CENTER, Role.SECURITY})),
    Action.AUDIT_SEAL_ROTATE: role_only(frozenset({Role.CENTER})),
    Action.WORKDAYS_MANAGE: role_only(frozenset({Role.CENTER})),
    Action.JOBS_VIEW: role_only(frozenset({Role.CENTER})),
    Action.CITY_OVERVIEW: role_only(frozenset({Role.CENTER, Role.BUREAU, Role.SECURITY})),
    Action.JOBS_RUN: role_only(frozenset({Role.CENTER})),
    Action.NOTIFICATION_READ: Rule(ALL_SIGNED_IN, units=(), user="user_id", denied="只能阅读发给本人的通知"),
    # Background work is seen by the person who started it and by their unit (whose data it works on).
    Action.WORK_VIEW: Rule(ALL_SIGNED_IN, user="owner_id", denied="只能查看本人或本单位的后台任务"),
    # An exported file is taken away only by the person who exported it (the export is on record as theirs).
    Action.WORK_DOWNLOAD: Rule(ALL_SIGNED_IN, units=(), user="owner_id", denied="只能下载本人导出的文件"),
    # catalog
    Action.CATALOG_VIEW: Rule(ALL_SIGNED_IN | {Role.SYSTEM}, units=(), vendor=True, vendor_purpose=False,
                              check=draft_own, list_filter=lambda a, m: drafts_own(a, m),
                              denied="不在保密协议约定的范围内"),
    Action.CATALOG_DRAFT: Rule(frozenset({Role.STEWARD})),
    Action.CATALOG_SUBMIT: Rule(frozenset({Role.UNIT_HEAD})),
    Action.CATALOG_RETIRE: Rule(frozenset({Role.UNIT_HEAD})),
    Action.CATALOG_IMPORT: Rule(frozenset({Role.STEWARD})),
    Action.CATALOG_EXPORT: role_only(ALL_SIGNED_IN - {Role.VENDOR}),
    Action.FILING_VIEW: Rule(UNIT_PEOPLE | {Role.BUREAU, Role.CENTER}, sees_all=frozenset({Role.BUREAU, Role.CENTER}),
                             denied="只能查看本单位的备案"),
    Action.FILING_REVIEW: role_only(frozenset({Role.BUREAU})),
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
                                check=comparison_use),
    Action.COMPARISON_VIEW: Rule(UNIT_PEOPLE | {Role.BUREAU, Role.CENTER},
                                 sees_all=frozenset({Role.BUREAU, Role.CENTER}),
                                 units=("unit_id", "left_unit_id", "right_unit_id"), denied="只能查看本单位参与的比对"),
    Action.CODE_TABLE_VIEW: role_only(ALL_SIGNED_IN | {Role.SYSTEM}),
    Action.CODE_TABLE_MANAGE: role_only(frozenset({Role.CENTER})),
    Action.CORRECTION_REPORT: Rule(UNIT_PEOPLE | {Role.SYSTEM, Role.BUREAU}, sees_all=frozenset({Role.BUREAU}),
                                   units=(), check=entry_use),
    Action.CORRECTION_ANSWER: Rule(frozenset({Role.STEWARD})),
    Action.CORRECTION_VIEW: Rule(UNIT_PEOPLE | {Role.SYSTEM, Role.BUREAU}, sees_all=frozenset({Role.BUREAU}),
                                 units=("unit_id", "reporter_unit_id"), system="reporter_system_id",
                                 denied="只能查看本单位提交或收到的纠错"),
    # sharing
    Action.CREDENTIAL_ISSUE: role_only(frozenset({Role.CENTER})),
    Action.SHARE_REQUEST: role_only(frozenset({Role.STEWARD})),
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
    Action.GRANT_ACTIVATE: role_only(frozenset({Role.CENTER})),
    Action.GRANT_SUSPEND: Rule(frozenset({Role.UNIT_HEAD, Role.STEWARD, Role.BUREAU, Role.SECURITY}),
                               sees_all=SUPERVISORS, units=("provider_unit_id",),
                               denied="只有提供单位、大数据局或安全监管部门可以暂停或撤销"),
    Action.SHARE_LOOKUP: Rule(frozenset({Role.SYSTEM}), units=(), check=entry_use),
    # the bureau and security see the whole city's use, a county office its county's, a unit its own
    # emergency switches (第二十一条 应急处置): security, and the center that runs the platform, act at once
    Action.EMERGENCY_SWITCH: role_only(frozenset({Role.SECURITY, Role.CENTER})),
    Action.EMERGENCY_VIEW: role_only(OVERSIGHT),
    Action.USAGE_VIEW: Rule(UNIT_PEOPLE | SUPERVISORS | {Role.COUNTY_OFFICE}, sees_all=SUPERVISORS,
                            region="unit_region_id", denied="只能查看本单位（县级部门：本县）的使用情况"),
    # vendors (第二十九条): the vendor reads its own agreements (the `user` column), never through its unit
    Action.VENDOR_AGREEMENT_MANAGE: Rule(frozenset({Role.CENTER, Role.UNIT_HEAD}), sees_all=frozenset({Role.CENTER}),
                                         check=agreement_own),
    Action.VENDOR_AGREEMENT_VIEW: Rule(UNIT_PEOPLE | OVERSIGHT | {Role.VENDOR}, sees_all=OVERSIGHT,
                                       user="vendor_user_id", check=agreement_party,
                                       list_filter=lambda a, m: agreement_party_where(a, m)),
    # open data (第十六、十七条): the bureau publishes and withdraws; anyone reads what is published
    Action.OPEN_PUBLISH: role_only(frozenset({Role.BUREAU})),
    Action.OPEN_WITHDRAW: role_only(frozenset({Role.BUREAU})),
    Action.OPEN_VIEW: Rule(ANYONE, units=(), public=True, check=open_listed,
                           list_filter=lambda a, m: open_listed_where(a, m), denied="该数据集未开放或已撤回"),
    Action.OPEN_DOWNLOAD: Rule(ANYONE, units=(), public=True, check=open_data,
                               list_filter=lambda a, m: open_data_where(a, m), denied="该数据集未开放或已撤回"),
    # a visitor who has not signed in opens a public account; a public account manages only its own app keys
    Action.OPEN_SIGNUP: Rule(frozenset({Role.PUBLIC}), units=(), public=True, own_only=False),
    Action.OPEN_KEY: Rule(frozenset({Role.PUBLIC}), units=(), user="user_id", denied="只能管理本人的应用密钥"),
    # authorised opening (第十七、十八条): the applicant's own organisation and applications; the providing unit
    # gives its opinion on applications for its data; the bureau sets conditions and decides
    Action.OPEN_APPLICANT: Rule(frozenset({Role.PUBLIC}), units=(), user="user_id", denied="只能维护本人的申请主体"),
    Action.OPEN_APPLY: Rule(frozenset({Role.PUBLIC}), units=(), user="user_id", denied="只能以本人的申请主体申请"),
    Action.OPEN_APPLICATION_VIEW: Rule(UNIT_PEOPLE | SUPERVISORS | {Role.PUBLIC}, sees_all=SUPERVISORS,
                                       user="user_id", denied="只能查看本人提交或涉及本单位数据的申请"),
    Action.OPEN_CONDITIONS: role_only(frozenset({Role.BUREAU})),
    Action.OPEN_OPINION: Rule(UNIT_PEOPLE, denied="只能对本单位提供的数据发表意见"),
    Action.OPEN_REVIEW: role_only(frozenset({Role.BUREAU})),
    Action.OPEN_NOTICE_VIEW: Rule(ANYONE, units=(), public=True, check=announced,
                                  list_filter=lambda a, m: m.status == "approved", denied="该申请未获批准，不予公告"),
    # public demands (第十九条): a public account files; the bureau assigns; the providing unit answers
    Action.OPEN_DEMAND: Rule(frozenset({Role.PUBLIC}), units=(), user="user_id", denied="只能以本人名义提交需求"),
    Action.OPEN_DEMAND_ASSIGN: role_only(frozenset({Role.BUREAU})),
    Action.OPEN_DEMAND_ANSWER: Rule(UNIT_PEOPLE, denied="只能答复指定给本单位的需求"),
    Action.OPEN_DEMAND_VIEW: Rule(ANYONE, units=(), public=True, check=always, list_filter=lambda a, m: true_(),
                                  denied="需求不存在"),
    # commercial development (第二十条): the bureau records selections, licences and revenue; licences are public
    Action.OPEN_LICENCE_MANAGE: role_only(frozenset({Role.BUREAU})),
    Action.OPEN_LICENCE_VIEW: Rule(ANYONE, units=(), public=True, check=always, list_filter=lambda a, m: true_(),
                                   denied="许可不存在"),
    # security operations: the center and security set each unit's log push and see all; a unit sees its own
    Action.LOGPUSH_MANAGE: role_only(frozenset({Role.CENTER, Role.SECURITY})),
    Action.LOGPUSH_VIEW: Rule(UNIT_PEOPLE | {Role.CENTER, Role.SECURITY},
                              sees_all=frozenset({Role.CENTER, Role.SECURITY}), denied="只能查看本单位的日志推送"),
    Action.LOGPUSH_DELIVER: role_only(NONE),  # the platform's job alone
    # security operations (第二十一、二十二条): the security role records incidents and plans assessments, tests
    # and drills; the center watches; a unit head sees its unit's incidents; a unit records its own exercises
    Action.SECURITY_DASHBOARD: role_only(SECURITY_OPS),
    Action.INCIDENT_RECORD: role_only(frozenset({Role.SECURITY})),
    Action.INCIDENT_VIEW: Rule(SECURITY_OPS | {Role.UNIT_HEAD}, sees_all=SECURITY_OPS, check=incident_unit,
                               list_filter=lambda a, m: incident_unit_where(a, m),
                               denied="只能查看涉及本单位的安全事件"),
    Action.EXERCISE_PLAN: Rule(frozenset({Role.SECURITY, Role.UNIT_HEAD}), sees_all=frozenset({Role.SECURITY}),
                               denied="只能为本单位安排评估、检测或演练"),
    Action.EXERCISE_RECORD: Rule(UNIT_PEOPLE, denied="只能记录本单位的评估、检测和演练"),
    Action.EXERCISE_VIEW: Rule(UNIT_PEOPLE | SECURITY_OPS, sees_all=SECURITY_OPS,
                               denied="只能查看本单位的评估、检测和演练"),
    Action.DENGBAO_ANNOUNCE: role_only(frozenset({Role.CENTER})),
    # backups (第二十四条): the center runs the platform and its backups; security watches that they happen
    Action.BACKUP_CREATE: role_only(frozenset({Role.CENTER})),
    Action.BACKUP_RESTORE: role_only(frozenset({Role.CENTER})),
    Action.BACKUP_VIEW: role_only(frozenset({Role.CENTER, Role.SECURITY})),
    # grading that decides (第二十一条): an export of L4 values waits for a second person of the owning unit
    Action.EXPORT_REQUEST: Rule(UNIT_PEOPLE, denied="只能为本单位的数据申请导出"),
    Action.EXPORT_APPROVE: Rule(UNIT_PEOPLE, check=second_person,
                                list_filter=lambda a, m: m.unit_id == (a.unit_id if a.unit_id is not None else -1)),
    Action.EXPORT_VIEW: Rule(UNIT_PEOPLE | SUPERVISORS, sees_all=SUPERVISORS, denied="只能查看本单位的导出审批"),
    # supervision (第二十六、二十七条): the bureau sees the city, a county office its county (the target's
    # `region_id`), a unit's people their own unit; the targets are `supervision.service.Area`s
    Action.SUPERVISION_VIEW: Rule(UNIT_PEOPLE | {Role.BUREAU, Role.COUNTY_OFFICE}, sees_all=frozenset({Role.BUREAU}),
                                  region="region_id", denied="只能查看本单位（县级部门：本县）的监督检查指标"),
    Action.SUPERVISION_COMPUTE: role_only(frozenset({Role.BUREAU})),
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
    Action.VENDOR_SCORE: role_only(frozenset({Role.BUREAU})),
    Action.VENDOR_RATING_VIEW: Rule(OVERSIGHT | {Role.VENDOR}, sees_all=OVERSIGHT, units=(), user="vendor_user_id",
                                    denied="只能查看本服务商的评价"),
    # e-mail reminders: a person sets their own address and switch; the center, who administers accounts, anyone's
    Action.MAIL_SETTINGS: Rule(ALL_SIGNED_IN, sees_all=frozenset({Role.CENTER}), units=(), user="user_id",
                               denied="只能修改本人的邮件提醒设置"),
    Action.MAIL_OUTBOX_VIEW: role_only(frozenset({Role.CENTER})),
    Action.MAIL_REMIND: role_only(NONE),  # the platform's job alone
    Action.MAIL_DELIVER: role_only(NONE),  # the platform's job alone
}
