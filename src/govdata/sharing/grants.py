"""Grants (访问权限): created on approval, activated by the center after both acceptances,
suspended or revoked at once by the provider, the bureau or security; expired by a job."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from govdata import clock, policy
from govdata.actor import Actor, Role
from govdata.audit.service import acting
from govdata.catalog.labels import field_list
from govdata.catalog.models import CatalogEntry, Field
from govdata.config import Settings
from govdata.errors import Conflict, NotFound, RuleViolation
from govdata.notifications.service import notify_unit
from govdata.policy import Action, grading
from govdata.sharing.models import Grant, GrantStatus, ShareRequest, UseAgreement
from govdata.storage.engines import rowcount

STATUS_LABELS = {
    GrantStatus.PENDING: "待开通", GrantStatus.ACTIVE: "有效", GrantStatus.SUSPENDED: "已暂停",
    GrantStatus.EXPIRED: "已过期", GrantStatus.REVOKED: "已撤销",
}


def status_label(status: str) -> str:
    """A grant status's Chinese name by its stored code (an unknown code as it is)."""
    try:
        return STATUS_LABELS[GrantStatus(status)]
    except ValueError:
        return status


def create_grant(db: Session, settings: Settings, req: ShareRequest, agreement: UseAgreement, *,
                 active: bool) -> Grant:
    entry = req.entry
    granted = set((req.approved_fields or req.fields).split(","))
    # A system may look up only by key or lookup fields it was granted (it must not probe by a value it
    # was never allowed to see).
    keys = [f.name for f in entry.fields if (f.is_key or f.is_lookup) and f.name in granted]
    quota = grading.daily_quota(entry, req.daily_volume, grading.caps_from(settings))  # capped by grade
    grant = Grant(request_id=req.id, agreement_id=agreement.id, entry_id=entry.id, resource_code=req.resource_code,
                  system_id=req.system_id, unit_id=req.unit_id, provider_unit_id=req.provider_unit_id,
                  fields=req.approved_fields or req.fields, key_fields=",".join(keys),
                  clear_fields=",".join(n for n in req.clear_field_names if n in granted),
                  row_limit=req.row_limit or settings.share_row_limit,
                  daily_quota=quota, per_minute=settings.share_rate_per_minute, purpose=req.duty,
                  approver=req.decided_by, agreement_hash=agreement.content_hash, valid_from=clock.today(),
                  valid_until=req.approved_until or req.valid_until,
                  status=(GrantStatus.ACTIVE if active else GrantStatus.PENDING).value,
                  activated_at=clock.now() if active else None)
    db.add(grant)
    db.flush()
    if active:
        _expire_renewed(db, grant)
    return grant


def get_grant(db: Session, *, grant_id: int) -> Grant:
    grant = db.get(Grant, grant_id)
    if grant is None:
        raise NotFound("访问权限不存在", field="grant_id")
    return grant


def grant_for_request(db: Session, *, request_id: int) -> Grant | None:
    return db.execute(select(Grant).where(Grant.request_id == request_id)).scalar_one_or_none()


def grants_query(actor: Actor) -> Select[Grant]:
    """The grants this person may see (as `list_grants`), their entry joined for a list's filter."""
    return (select(Grant).join(CatalogEntry, CatalogEntry.id == Grant.entry_id)
            .where(policy.where(actor, Action.GRANT_VIEW, Grant)))


def list_grants(db: Session, actor: Actor) -> list[Grant]:
    query = select(Grant).where(policy.where(actor, Action.GRANT_VIEW, Grant)).order_by(Grant.id.desc()).limit(1000)
    return list(db.execute(query).scalars())


@dataclass
class EntryNames:
    """How a page names a grant's entry and fields: people read 姓名, not xm."""

    name: str
    labels: dict[str, str] = field(default_factory=dict)

    def fields(self, names: str) -> str:
        """`sfzh,xm` → 公民身份号码（sfzh）、姓名（xm）: the label for people, the name for the API."""
        return field_list(self.labels, names.split(","))


def entry_names(db: Session, grants: list[Grant]) -> dict[int, EntryNames]:
    """The entries of these grants with their field labels, in one read."""
    ids = {g.entry_id for g in grants}
    if not ids:
        return {}
    rows = db.execute(select(CatalogEntry.id, CatalogEntry.name, Field.name, Field.label)
                      .outerjoin(Field, Field.entry_id == CatalogEntry.id).where(CatalogEntry.id.in_(ids)))
    names: dict[int, EntryNames] = {}
    for entry_id, entry_name, field_name, label in rows:
        entry = names.setdefault(entry_id, EntryNames(entry_name))
        if field_name is not None:
            entry.labels[field_name] = label or field_name
    return names


def _move(db: Session, grant: Grant, *, expected: set[str], status: GrantStatus, reason: str) -> None:
    values: dict[str, object] = {"status": status.value, "status_reason": reason}
    if status == GrantStatus.ACTIVE:
        values["activated_at"] = clock.now()
    result = db.execute(update(Grant).where(Grant.id == grant.id, Grant.status.in_(expected)).values(**values)
                        .execution_options(synchronize_session=False))
    if rowcount(result) != 1:
        label = STATUS_LABELS.get(GrantStatus(grant.status), grant.status)
        raise Conflict(f"访问权限当前状态为“{label}”，不能进行此操作", field="status")
    db.refresh(grant)


def activate_grant(db: Session, actor: Actor, *, grant_id: int) -> Grant:
    """The center opens access once both unit heads accepted the agreement (or resumes a suspended one)."""
    grant = get_grant(db, grant_id=grant_id)
    with acting(db, actor, Action.GRANT_ACTIVATE, target=grant, resource_code=grant.resource_code,
                owner_unit_id=grant.provider_unit_id) as audit:
        agreement = db.get(UseAgreement, grant.agreement_id)
        assert agreement is not None
        if not agreement.fully_accepted:
            raise RuleViolation("使用协议尚未经双方接受，不能开通", field="agreement")
        if grant.valid_until < clock.today():
            raise RuleViolation("访问权限已过期，请重新申请", field="valid_until")
        before = grant.status
        _move(db, grant, expected={GrantStatus.PENDING.value, GrantStatus.SUSPENDED.value},
              status=GrantStatus.ACTIVE, reason="")
        _expire_renewed(db, grant)
        notify_unit(db, unit_id=grant.unit_id, kind="grant.active",
                    message=f"对 {grant.resource_code} 的访问权限已开通", link=f"/sharing/requests/{grant.request_id}",
                    roles=(Role.STEWARD, Role.UNIT_HEAD))
        audit.details = {"before": before, "after": grant.status, "agreement_hash": grant.agreement_hash}
    return grant


def _expire_renewed(db: Session, grant: Grant) -> None:
    """A renewal replaces the grant it renews once it is active."""
    req = db.get(ShareRequest, grant.request_id)
    if req is not None and req.renewal_of_grant_id:
        db.execute(update(Grant).where(Grant.id == req.renewal_of_grant_id,
                                       Grant.status.in_([GrantStatus.ACTIVE.value, GrantStatus.SUSPENDED.value]))
                   .values(status=GrantStatus.EXPIRED.value, status_reason=f"已由续期权限 #{grant.id} 取代"))


def _stop(db: Session, actor: Actor, grant_id: int, status: GrantStatus, reason: str) -> Grant:
    grant = get_grant(db, grant_id=grant_id)
    with acting(db, actor, Action.GRANT_SUSPEND, target=grant, resource_code=grant.resource_code,
                owner_unit_id=grant.provider_unit_id) as audit:
        expected = {GrantStatus.ACTIVE.value, GrantStatus.PENDING.value}
        if status == GrantStatus.REVOKED:
            expected.add(GrantStatus.SUSPENDED.value)
        before = grant.status
        _move(db, grant, expected=expected, status=status, reason=reason)
        notify_unit(db, unit_id=grant.unit_id, kind=f"grant.{status.value}",
                    message=f"对 {grant.resource_code} 的访问权限{STATUS_LABELS[status]}：{reason}",
                    link=f"/sharing/requests/{grant.request_id}", roles=(Role.STEWARD, Role.UNIT_HEAD))
        audit.details = {"before": before, "after": status.value, "reason": reason}
    return grant


def suspend_grant(db: Session, actor: Actor, *, grant_id: int, reason: str) -> Grant:
    return _stop(db, actor, grant_id, GrantStatus.SUSPENDED, reason)


def revoke_grant(db: Session, actor: Actor, *, grant_id: int, reason: str) -> Grant:
    return _stop(db, actor, grant_id, GrantStatus.REVOKED, reason)


def expire_grants(db: Session) -> int:
    """Grants past their validity become expired (the lookup refuses them already; this keeps lists true)."""
    result = db.execute(update(Grant).where(Grant.valid_until < clock.today(),
                                            Grant.status.in_([GrantStatus.ACTIVE.value, GrantStatus.PENDING.value,
                                                              GrantStatus.SUSPENDED.value]))
                        .values(status=GrantStatus.EXPIRED.value, status_reason="使用期限届满"))
    return rowcount(result)
