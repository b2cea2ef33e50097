"""Every operation the platform knows, by name, with the Chinese name pages show for it.

Reads have actions of their own (`request.view`, `agreement.view`, `comparison.view` …): a catch-all read
action is how a feature once came to decide visibility for itself, and leaked.
"""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    # foundation
    ORG_VIEW = "org.view"  # the directory of regions, units and their systems
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
    CITY_OVERVIEW = "overview.city"  # the city-wide charts: quality by unit, sharing calls, requests
    NOTIFICATION_READ = "notification.read"
    WORK_VIEW = "work.view"  # a piece of background work: its progress and result
    WORK_DOWNLOAD = "work.download"  # the file an export made in the background
    # catalog
    CATALOG_VIEW = "catalog.view"
    CATALOG_DRAFT = "catalog.draft"
    CATALOG_SUBMIT = "catalog.submit"
    CATALOG_RETIRE = "catalog.retire"
    CATALOG_IMPORT = "catalog.import"
    CATALOG_EXPORT = "catalog.export"
    FILING_VIEW = "filing.view"
    FILING_REVIEW = "filing.review"
    # datastore
    RESOURCE_PUSH = "resource.push"
    RESOURCE_UPLOAD = "resource.upload"
    RESOURCE_READ = "resource.read"  # a unit's own rows (and a vendor's, inside its agreement)
    BATCH_VIEW = "batch.view"  # a resource's batches and their rejected rows
    RETURN_FLOW_MANAGE = "return_flow.manage"
    RETURN_FLOW_RUN = "return_flow.run"
    # quality
    QUALITY_RULE_MANAGE = "quality.rule_manage"
    QUALITY_SCAN = "quality.scan"
    QUALITY_VIEW = "quality.view"
    COMPARISON_RUN = "comparison.run"
    COMPARISON_VIEW = "comparison.view"
    CODE_TABLE_VIEW = "code_table.view"  # the city's code tables are standards, not any unit's data
    CODE_TABLE_MANAGE = "code_table.manage"
    CORRECTION_REPORT = "correction.report"
    CORRECTION_ANSWER = "correction.answer"
    CORRECTION_VIEW = "correction.view"
    # sharing
    CREDENTIAL_ISSUE = "credential.issue"
    SHARE_REQUEST = "share.request"
    SHARE_WITHDRAW = "share.withdraw"
    SHARE_OPINION = "share.opinion"
    SHARE_REVIEW = "share.review"
    REQUEST_VIEW = "request.view"
    AGREEMENT_VIEW = "agreement.view"
    AGREEMENT_ACCEPT = "agreement.accept"
    GRANT_VIEW = "grant.view"
    GRANT_ACTIVATE = "grant.activate"
    GRANT_SUSPEND = "grant.suspend"
    SHARE_LOOKUP = "share.lookup"
    USAGE_VIEW = "usage.view"
    # emergency switches (第二十一条 应急处置)
    EMERGENCY_SWITCH = "emergency.switch"  # set or lift a switch: a system, a unit's sharing, a resource, all
    EMERGENCY_VIEW = "emergency.view"  # the switches in force and their history
    # vendors (第二十九条)
    VENDOR_AGREEMENT_MANAGE = "vendor_agreement.manage"  # record a confidentiality agreement, end one early
    VENDOR_AGREEMENT_VIEW = "vendor_agreement.view"
    # open data (第十六、十七条): the bureau publishes; anyone, the public included, reads what is open
    OPEN_PUBLISH = "open.publish"  # publish or republish a catalog entry as an open dataset
    OPEN_WITHDRAW = "open.withdraw"
    OPEN_VIEW = "open.view"  # an open dataset's metadata, field dictionary and release history
    OPEN_DOWNLOAD = "open.download"  # its values: preview, records, CSV / JSON / XLSX downloads
    OPEN_SIGNUP = "open.signup"  # a member of the public opens an account on the portal
    OPEN_KEY = "open.key"  # a public account creates or revokes its own app keys
    # authorised opening (第十七、十八条)
    OPEN_APPLICANT = "open.applicant"  # a public account records its organisation (企业 / 高校 / 科研院所)
    OPEN_APPLY = "open.apply"  # it applies for a 授权开放 dataset
    OPEN_APPLICATION_VIEW = "open.application_view"  # the applicant, the providing unit and the bureau
    OPEN_CONDITIONS = "open.conditions"  # the bureau sets a dataset's open conditions with its provider
    OPEN_OPINION = "open.opinion"  # the providing unit's opinion on an application
    OPEN_REVIEW = "open.review"  # the bureau approves (possibly narrower) or rejects
    OPEN_NOTICE_VIEW = "open.notice_view"  # the public notice of every authorisation (平台公告)
    # public demands (第十九条)
    OPEN_DEMAND = "open.demand"  # a public account files a demand for data
    OPEN_DEMAND_ASSIGN = "open.demand_assign"  # the bureau assigns the providing unit
    OPEN_DEMAND_ANSWER = "open.demand_answer"  # the providing unit agrees (with a date) or refuses (with reasons)
    OPEN_DEMAND_VIEW = "open.demand_view"  # the public tracking page of demands and answers
    # commercial development (第二十条)
    OPEN_LICENCE_MANAGE = "open.licence_manage"  # record a selection, create its licence, record revenue
    OPEN_LICENCE_VIEW = "open.licence_view"  # the portal's list of licences
    # security operations (第二十一至二十四条)
    LOGPUSH_MANAGE = "logpush.manage"  # set where and how often a unit's audit events are pushed to it
    LOGPUSH_VIEW = "logpush.view"  # a unit's pushes: what was delivered, what waits
    LOGPUSH_DELIVER = "logpush.deliver"  # the platform pushes a batch of a unit's events (the job)
    # security operations (第二十一、二十二、二十五条): incidents, assessments, tests and drills, 等保 expiry
    SECURITY_DASHBOARD = "security.dashboard"  # the /security page: what stands and what needs attention
    INCIDENT_RECORD = "incident.record"  # report an incident, record what was done, close it
    INCIDENT_VIEW = "incident.view"
    EXERCISE_PLAN = "exercise.plan"  # plan a unit's risk assessment, security test or drill with its due date
    EXERCISE_RECORD = "exercise.record"  # the unit records it done, its findings and follow-ups
    EXERCISE_VIEW = "exercise.view"
    DENGBAO_ANNOUNCE = "dengbao.announce"  # the daily job tells a unit its system's 等保 assessment expires
    # security operations (第二十四条): backups and verified restore
    BACKUP_CREATE = "backup.create"  # write an archive of the database, the home's files and keys
    BACKUP_RESTORE = "backup.restore"  # restore an archive into an empty home and database
    BACKUP_VIEW = "backup.view"  # the record of backup runs (the security dashboard's panel)
    # security: grading that decides (第二十一条)
    EXPORT_REQUEST = "export.request"  # ask a second person to approve an export holding L4 values
    EXPORT_APPROVE = "export.approve"  # another person of the owning unit approves or refuses it
    EXPORT_VIEW = "export.view"  # the export approvals of one's unit (security and the bureau: all)
    # supervision (第二十六、二十七条): indicators, dashboards and monthly reports
    SUPERVISION_VIEW = "supervision.view"  # the city's (bureau), a county's (its office) or a unit's (itself)
    SUPERVISION_COMPUTE = "supervision.compute"  # the bureau recomputes a month's stored figures
    # IT projects (第六、二十八条): the register, declared data assets, the acceptance check, the finance view
    PROJECT_VIEW = "project.view"  # the bureau and finance all, a county office its county, a unit its own
    PROJECT_REGISTER = "project.register"  # a unit registers its IT project (at 可研/初设)
    PROJECT_DECLARE = "project.declare"  # the unit declares a data asset the project will make (可研/初设 only)
    PROJECT_LINK = "project.link"  # the unit links a declared asset to a catalog entry of its own
    PROJECT_ADVANCE = "project.advance"  # the unit moves the project one stage forward
    PROJECT_CHECK = "project.check"  # the acceptance check, on moving to 验收 or on demand
    # return-flow applications (第九条): entries whose data comes from upper-level systems
    RETURN_FLOW_APPLY = "return_flow.apply"  # a unit records its 回流 application, the answer, links the connector
    RETURN_FLOW_APPLICATION_VIEW = "return_flow.application_view"  # applications and the entries lacking one
    # vendor evaluation (第二十七、二十九条)
    VENDOR_SCORE = "vendor.score"  # the bureau's periodic score of a technical-service vendor
    VENDOR_RATING_VIEW = "vendor.rating_view"  # a vendor's rating (the bureau: every vendor, ranked)
    # e-mail reminders (the to-do by e-mail, `govdata.mail`)
    MAIL_SETTINGS = "mail.settings"  # a person's address and reminders on/off (their own; the center: anyone's)
    MAIL_OUTBOX_VIEW = "mail.outbox_view"  # the outbox: what is queued, sent, failing and why
    MAIL_REMIND = "mail.remind"  # the platform queues a person's digest or due-today message (the job)
    MAIL_DELIVER = "mail.deliver"  # the platform hands a queued message to the SMTP server (the job)


# How pages name each action (the audit log, its filter); the code stays beside it, as it is stored.
ACTION_LABELS: dict[Action, str] = {
    Action.ORG_VIEW: "查看单位与系统", Action.REGION_MANAGE: "维护行政区划", Action.UNIT_MANAGE: "维护单位",
    Action.SYSTEM_MANAGE: "维护接入系统", Action.USER_MANAGE: "管理用户", Action.USER_SELF: "修改本人信息",
    Action.AUTH_LOGIN: "登录", Action.AUTH_LOGOUT: "退出", Action.AUDIT_VIEW: "查看审计日志",
    Action.AUDIT_EXPORT: "导出审计日志", Action.AUDIT_VERIFY: "校验审计链", Action.AUDIT_PURGE: "清理过期审计日志",
    Action.AUDIT_FEED: "读取审计推送", Action.AUDIT_SEAL: "封印审计链", Action.AUDIT_SEAL_VIEW: "查看审计封印",
    Action.AUDIT_SEAL_EXPORT: "导出审计封印", Action.AUDIT_SEAL_ROTATE: "更换审计封印密钥",
    Action.WORKDAYS_MANAGE: "维护工作日", Action.JOBS_VIEW: "查看定时任务", Action.CITY_OVERVIEW: "查看全市概览",
    Action.JOBS_RUN: "运行定时任务", Action.NOTIFICATION_READ: "阅读通知",
    Action.WORK_VIEW: "查看后台任务进度", Action.WORK_DOWNLOAD: "下载后台导出的文件",
    Action.CATALOG_VIEW: "查看目录", Action.CATALOG_DRAFT: "编制目录", Action.CATALOG_SUBMIT: "提交目录",
    Action.CATALOG_RETIRE: "停用目录", Action.CATALOG_IMPORT: "导入目录", Action.CATALOG_EXPORT: "导出目录",
    Action.FILING_VIEW: "查看备案", Action.FILING_REVIEW: "备案审核",
    Action.RESOURCE_PUSH: "实时推送数据", Action.RESOURCE_UPLOAD: "上传数据", Action.RESOURCE_READ: "查询资源数据",
    Action.BATCH_VIEW: "查看汇聚批次",
    Action.RETURN_FLOW_MANAGE: "维护回流任务", Action.RETURN_FLOW_RUN: "运行回流任务",
    Action.QUALITY_RULE_MANAGE: "维护质量规则", Action.QUALITY_SCAN: "质量检测", Action.QUALITY_VIEW: "查看质量报告",
    Action.COMPARISON_RUN: "数据比对", Action.COMPARISON_VIEW: "查看比对结果", Action.CODE_TABLE_VIEW: "查看代码表",
    Action.CODE_TABLE_MANAGE: "维护代码表",
    Action.CORRECTION_REPORT: "提交纠错", Action.CORRECTION_ANSWER: "答复纠错", Action.CORRECTION_VIEW: "查看纠错",
    Action.CREDENTIAL_ISSUE: "签发系统凭证", Action.SHARE_REQUEST: "共享申请", Action.SHARE_WITHDRAW: "撤回共享申请",
    Action.SHARE_OPINION: "提供单位意见", Action.SHARE_REVIEW: "共享审核", Action.REQUEST_VIEW: "查看共享申请",
    Action.AGREEMENT_VIEW: "查看使用协议", Action.AGREEMENT_ACCEPT: "接受使用协议", Action.GRANT_VIEW: "查看访问权限",
    Action.GRANT_ACTIVATE: "开通访问权限", Action.GRANT_SUSPEND: "暂停或撤销访问权限", Action.SHARE_LOOKUP: "共享调用",
    Action.USAGE_VIEW: "查看使用情况",
    Action.EMERGENCY_SWITCH: "应急处置（暂停或恢复共享）", Action.EMERGENCY_VIEW: "查看应急处置",
    Action.VENDOR_AGREEMENT_MANAGE: "登记或终止保密协议", Action.VENDOR_AGREEMENT_VIEW: "查看保密协议",
    Action.OPEN_PUBLISH: "发布开放数据集", Action.OPEN_WITHDRAW: "撤回开放数据集", Action.OPEN_VIEW: "查看开放数据集",
    Action.OPEN_DOWNLOAD: "获取开放数据", Action.OPEN_SIGNUP: "注册公众账号", Action.OPEN_KEY: "管理应用密钥",
    Action.OPEN_APPLICANT: "登记申请主体", Action.OPEN_APPLY: "申请授权开放数据",
    Action.OPEN_APPLICATION_VIEW: "查看授权开放申请", Action.OPEN_CONDITIONS: "设定开放条件",
    Action.OPEN_OPINION: "提供单位意见（授权开放）", Action.OPEN_REVIEW: "审核授权开放申请",
    Action.OPEN_NOTICE_VIEW: "查看平台公告", Action.OPEN_DEMAND: "提交开放需求",
    Action.OPEN_DEMAND_ASSIGN: "指定需求提供单位", Action.OPEN_DEMAND_ANSWER: "答复开放需求",
    Action.OPEN_DEMAND_VIEW: "查看开放需求", Action.OPEN_LICENCE_MANAGE: "管理授权开发许可",
    Action.OPEN_LICENCE_VIEW: "查看授权开发许可",
    Action.LOGPUSH_MANAGE: "设置日志推送", Action.LOGPUSH_VIEW: "查看日志推送", Action.LOGPUSH_DELIVER: "推送审计日志",
    Action.SECURITY_DASHBOARD: "查看安全运维概况", Action.INCIDENT_RECORD: "登记或处置安全事件",
    Action.INCIDENT_VIEW: "查看安全事件", Action.EXERCISE_PLAN: "安排风险评估、检测或演练",
    Action.EXERCISE_RECORD: "记录风险评估、检测或演练结果", Action.EXERCISE_VIEW: "查看风险评估、检测和演练",
    Action.DENGBAO_ANNOUNCE: "等保测评到期提醒",
    Action.BACKUP_CREATE: "备份平台", Action.BACKUP_RESTORE: "从备份恢复平台", Action.BACKUP_VIEW: "查看备份记录",
    Action.EXPORT_REQUEST: "申请导出审批（L4）", Action.EXPORT_APPROVE: "审批导出（L4）",
    Action.EXPORT_VIEW: "查看导出审批",
    Action.SUPERVISION_VIEW: "查看监督检查指标", Action.SUPERVISION_COMPUTE: "计算监督检查指标",
    Action.PROJECT_VIEW: "查看信息化项目", Action.PROJECT_REGISTER: "登记信息化项目",
    Action.PROJECT_DECLARE: "申报项目数据资产", Action.PROJECT_LINK: "关联数据资产与目录",
    Action.PROJECT_ADVANCE: "推进项目阶段", Action.PROJECT_CHECK: "项目验收检查",
    Action.RETURN_FLOW_APPLY: "登记回流申请", Action.RETURN_FLOW_APPLICATION_VIEW: "查看回流申请",
    Action.VENDOR_SCORE: "评价技术服务单位", Action.VENDOR_RATING_VIEW: "查看技术服务单位评价",
    Action.MAIL_SETTINGS: "设置邮件提醒", Action.MAIL_OUTBOX_VIEW: "查看邮件发送队列",
    Action.MAIL_REMIND: "生成邮件提醒", Action.MAIL_DELIVER: "发送提醒邮件",
}

# Codes stored by earlier versions, still named on the audit pages.
FORMER_LABELS: dict[str, str] = {"resource.read_own": "查询本单位数据"}
