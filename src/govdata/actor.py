"""Who is acting: a person, a unit's system, a job or the command line. Services receive one."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum


class Role(StrEnum):
    CENTER = "center"  # 市大数据中心: runs the platform, administrators
    BUREAU = "bureau"  # 市大数据局: reviews, filings, supervision
    COUNTY_OFFICE = "county_office"  # 县（市、区）电子政务管理部门
    SECURITY = "security"  # 市信息网络安全监管部门
    STEWARD = "steward"  # 政务数据专管员 of a unit
    UNIT_HEAD = "unit_head"  # the unit's data office lead
    VENDOR = "vendor"  # third-party governance contractor
    FINANCE = "finance"  # 市财政局: reads the IT projects' eligibility for operating funds (第二十八条)
    PUBLIC = "public"  # citizens and companies
    SYSTEM = "system"  # a unit's connected information system
    PLATFORM = "platform"  # the platform itself: jobs, demo seeding, migrations


ROLE_LABELS = {
    Role.CENTER: "大数据中心管理员",
    Role.BUREAU: "大数据局",
    Role.COUNTY_OFFICE: "县级电子政务管理部门",
    Role.SECURITY: "网络安全监管",
    Role.STEWARD: "数据专管员",
    Role.UNIT_HEAD: "单位数据管理科室负责人",
    Role.VENDOR: "第三方治理单位",
    Role.FINANCE: "财政部门",
    Role.PUBLIC: "公众",
    Role.SYSTEM: "接入系统",
    Role.PLATFORM: "平台",
}
_ROLE_BY_VALUE = {role.value: label for role, label in ROLE_LABELS.items()}


def role_label(role: str | None) -> str:
    """A role's Chinese name by its stored code (an unknown code as it is)."""
    return "" if not role else _ROLE_BY_VALUE.get(str(role), str(role))


class Method(StrEnum):
    WEB = "web"
    API = "api"
    CLI = "cli"
    JOB = "job"


@dataclass(frozen=True)
class VendorScope:
    """What a third-party contractor may work on (第二十九条): the units and resources named in its valid
    confidentiality agreements. A resource of a named unit is in scope when the unit is named without
    resources, or the resource is named."""

    agreement_ids: frozenset[int] = frozenset()
    unit_ids: frozenset[int] = frozenset()  # every resource of these units
    entry_ids: frozenset[int] = frozenset()  # these resources only

    def covers(self, *, unit_id: int | None, entry_id: int | None) -> bool:
        return (unit_id is not None and unit_id in self.unit_ids) or (entry_id is not None
                                                                       and entry_id in self.entry_ids)


@dataclass(frozen=True)
class OpenAccess:
    """What a public account's organisation may read of 授权开放 datasets (第十八条): its approved applications
    in force today, each a dataset and the fields approved. Loaded per request (`hooks.open_access`), so an
    authorisation that ends or is revoked counts no more from the next request."""

    grants: tuple[tuple[int, frozenset[str]], ...] = ()

    @property
    def dataset_ids(self) -> frozenset[int]:
        return frozenset(dataset_id for dataset_id, _ in self.grants)

    def fields_of(self, dataset_id: int | None) -> frozenset[str]:
        found: frozenset[str] = frozenset()
        for granted_id, fields in self.grants:
            if granted_id == dataset_id:
                found |= fields
        return found


@dataclass(frozen=True)
class Actor:
    kind: str  # "user" | "system" | "platform" | "public"
    id: int | None
    name: str
    roles: frozenset[Role] = field(default_factory=frozenset)
    unit_id: int | None = None
    region_id: int | None = None
    system_id: int | None = None
    method: Method = Method.WEB
    client_addr: str | None = None
    request_id: str | None = None
    operator: str | None = None  # the person a system acts for (X-Operator)
    purpose: str | None = None  # why this request reads what it reads (a vendor must always say)
    vendor_scope: VendorScope | None = None  # a vendor's valid confidentiality agreements; None: none
    open_access: OpenAccess | None = None  # a public account's authorisations to 授权开放 data; None: none
    app_key: str | None = None  # the prefix of the public app key this request came with (its rate limit)

    def has(self, *roles: Role) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def primary_role(self) -> str:
        order = list(Role)
        return min(self.roles, key=order.index).value if self.roles else ""

    def via(self, method: Method, *, client_addr: str | None = None, request_id: str | None = None) -> Actor:
        return replace(self, method=method, client_addr=client_addr, request_id=request_id)


def public_actor(*, client_addr: str | None = None, request_id: str | None = None) -> Actor:
    """Someone who has not signed in: a citizen, a company, a university on the open-data portal (第十七条).
    No unit, no id; the policy lets it do only what is open to anyone."""
    return Actor(kind="public", id=None, name="公众", roles=frozenset({Role.PUBLIC}), method=Method.WEB,
                 client_addr=client_addr, request_id=request_id)


def platform_actor(method: Method = Method.JOB, name: str = "平台") -> Actor:
    """The platform acting for itself (jobs, seeding): every permission, still audited."""
    return Actor(kind="platform", id=None, name=name, roles=frozenset({Role.PLATFORM}), method=method)
