"""Confidentiality agreements (第二十九条): record one, end one early, see them, and the scope they give a vendor.

A vendor's account reads data only inside the units and resources named by its agreements in force today
(`scope_of`, which `plugin.py` hands to the policy); an agreement ended early stops counting on the vendor's
very next request, since the scope is read afresh on each.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import BinaryIO

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from govdata import clock, policy
from govdata.actor import Actor, Role, VendorScope
from govdata.audit.service import acting
from govdata.auth.models import User, UserRole
from govdata.catalog.models import CatalogEntry, EntryStatus
from govdata.config import Settings
from govdata.errors import Conflict, NotFound, RuleViolation
from govdata.notifications.service import notify
from govdata.orgs.models import Unit
from govdata.policy import Action
from govdata.storage.engines import rowcount
from govdata.vendors import files
from govdata.vendors.models import AgreementState, AgreementStatus, VendorAgreement, VendorScopeItem
from govdata.vendors.schemas import VendorAgreementCreate, VendorAgreementEnd

STATE_LABELS = {AgreementState.IN_FORCE: "生效中", AgreementState.NOT_YET: "未到生效日",
                AgreementState.EXPIRED: "已到期", AgreementState.ENDED: "已提前终止"}


def get_agreement(db: Session, *, agreement_id: int) -> VendorAgreement:
    agreement = db.get(VendorAgreement, agreement_id) if 0 < agreement_id < 2**63 else None
    if agreement is None:
        raise NotFound("保密协议不存在", field="agreement_id")
    return agreement


def view_agreement(db: Session, actor: Actor, *, agreement_id: int) -> VendorAgreement:
    agreement = get_agreement(db, agreement_id=agreement_id)
    policy.require(actor, Action.VENDOR_AGREEMENT_VIEW, agreement)
    return agreement


def list_agreements(db: Session, actor: Actor) -> list[VendorAgreement]:
    """The agreements `actor` may see: the vendor its own, a unit those it signed or that name its data,
    the center, the bureau and security all."""
    query = (select(VendorAgreement).where(policy.where(actor, Action.VENDOR_AGREEMENT_VIEW, VendorAgreement))
             .order_by(VendorAgreement.id.desc()).limit(500))
    return list(db.execute(query).scalars())


def vendor_accounts(db: Session) -> list[User]:
    """The active accounts with the vendor role (an agreement is recorded for one of them)."""
    query = (select(User).join(UserRole).where(UserRole.role == Role.VENDOR.value, User.is_active.is_(True))
             .order_by(User.username))
    return list(db.execute(query).scalars())


def contracting_units(db: Session, actor: Actor) -> list[Unit]:
    """The units `actor` may record an agreement for: any (the center), or its own (a unit head)."""
    query = select(Unit).order_by(Unit.id)
    if not policy.sees_all(actor, Action.VENDOR_AGREEMENT_MANAGE):
        query = query.where(Unit.id == (actor.unit_id or -1))
    return list(db.execute(query).scalars())


def _vendor(db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None or not user.is_active or Role.VENDOR.value not in user.roles:
        raise RuleViolation("请选择一个有效的第三方服务商账号", field="vendor_user_id")
    return user


def _scope(db: Session, data: VendorAgreementCreate) -> list[VendorScopeItem]:
    """The named units (each whole) and resources; a resource of a unit named whole adds nothing."""
    units = {u.id for u in db.execute(select(Unit).where(Unit.id.in_(data.unit_ids))).scalars()}
    missing = [str(u) for u in data.unit_ids if u not in units]
    if missing:
        raise RuleViolation(f"单位不存在：{'、'.join(missing)}", field="unit_ids")
    entries = {e.code: e for e in db.execute(select(CatalogEntry).where(CatalogEntry.code.in_(data.entry_codes)))
               .scalars()}
    unknown = [c for c in data.entry_codes if c not in entries or entries[c].status != EntryStatus.REGISTERED]
    if unknown:
        raise RuleViolation(f"不是已登记的数据资源：{'、'.join(unknown)}", field="entry_codes")
    items = [VendorScopeItem(unit_id=u) for u in data.unit_ids]
    items += [VendorScopeItem(unit_id=entries[c].unit_id, entry_id=entries[c].id) for c in data.entry_codes
              if entries[c].unit_id not in units]
    return items


def record_agreement(db: Session, actor: Actor, settings: Settings, *, data: VendorAgreementCreate,
                     file_name: str, stream: BinaryIO) -> VendorAgreement:
    """Record a signed agreement with its file. The center records any; a unit head only its own unit's,
    naming only its own unit's data (the policy decides on the agreement as it would be stored)."""
    vendor = _vendor(db, data.vendor_user_id)
    if db.get(Unit, data.unit_id) is None:
        raise RuleViolation("签约单位不存在", field="unit_id")
    agreement = VendorAgreement(vendor_user_id=vendor.id, company=data.company, unit_id=data.unit_id,
                                signed_by=data.signed_by, valid_from=data.valid_from, valid_until=data.valid_until,
                                status=AgreementStatus.ACTIVE.value, created_by=actor.name, created_at=clock.now(),
                                scope_items=_scope(db, data))
    with acting(db, actor, Action.VENDOR_AGREEMENT_MANAGE, target=agreement) as audit:
        if data.valid_until < clock.today():
            raise RuleViolation("协议有效期已过，无需登记", field="valid_until")
        stored = files.store(settings.home_dir, name=file_name, stream=stream,
                             max_bytes=settings.vendor_agreement_max_bytes)
        try:
            agreement.file_key, agreement.file_name, agreement.file_type = stored.key, stored.name, stored.media_type
            agreement.file_size, agreement.file_sha256 = stored.size, stored.sha256
            db.add(agreement)
            db.flush()
        except BaseException:
            files.remove(settings.home_dir, stored.key)
            raise
        audit.details = {"change": "recorded", "vendor": vendor.username, "company": agreement.company,
                         "units": sorted(data.unit_ids), "resources": data.entry_codes,
                         "valid_from": agreement.valid_from, "valid_until": agreement.valid_until,
                         "file_sha256": stored.sha256, "file_size": stored.size}
        notify(db, user_ids=[vendor.id], kind="vendor_agreement.recorded",
               message=f"保密协议 {agreement.number} 已登记，有效期 {agreement.valid_from} 至 {agreement.valid_until}",
               link=f"/vendors/agreements/{agreement.id}")
    return agreement


def end_agreement(db: Session, actor: Actor, *, agreement_id: int, data: VendorAgreementEnd) -> VendorAgreement:
    """End an agreement before its term: the vendor's next request already runs without it."""
    agreement = get_agreement(db, agreement_id=agreement_id)
    with acting(db, actor, Action.VENDOR_AGREEMENT_MANAGE, target=agreement) as audit:
        done = db.execute(update(VendorAgreement)
                          .where(VendorAgreement.id == agreement.id,
                                 VendorAgreement.status == AgreementStatus.ACTIVE.value)
                          .values(status=AgreementStatus.ENDED.value, ended_by=actor.name, ended_at=clock.now(),
                                  end_reason=data.reason)
                          .execution_options(synchronize_session=False))
        if rowcount(done) != 1:
            raise Conflict("该协议已提前终止", field="agreement_id")
        db.refresh(agreement)
        audit.details = {"change": "ended", "before": AgreementStatus.ACTIVE.value, "after": agreement.status,
                         "reason": data.reason}
        notify(db, user_ids=[agreement.vendor_user_id], kind="vendor_agreement.ended",
               message=f"保密协议 {agreement.number} 已提前终止：{data.reason}",
               link=f"/vendors/agreements/{agreement.id}")
    return agreement


def agreement_file(db: Session, actor: Actor, settings: Settings, *, agreement_id: int) -> tuple[VendorAgreement,
                                                                                                  bytes]:
    """The signed file, checked against its recorded SHA-256; every download is on the record."""
    agreement = get_agreement(db, agreement_id=agreement_id)
    with acting(db, actor, Action.VENDOR_AGREEMENT_VIEW, target=agreement, medium="file") as audit:
        data = files.read_checked(settings.home_dir, key=agreement.file_key, sha256=agreement.file_sha256)
        audit.details = {"view": "file", "file_sha256": agreement.file_sha256, "file_size": len(data)}
    return agreement, data


def entries_in_scope(db: Session, agreement: VendorAgreement) -> list[CatalogEntry]:
    """The registered resources an agreement covers: those named, and every one of the units named whole."""
    whole = [i.unit_id for i in agreement.scope_items if i.entry_id is None]
    named = [i.entry_id for i in agreement.scope_items if i.entry_id is not None]
    query = (select(CatalogEntry).where(CatalogEntry.status == EntryStatus.REGISTERED.value,
                                        CatalogEntry.unit_id.in_(whole) | CatalogEntry.id.in_(named))
             .order_by(CatalogEntry.unit_id, CatalogEntry.code))
    return list(db.execute(query).scalars())


def scope_of(db: Session, actor: Actor) -> VendorScope | None:
    """The `VendorScope` of the vendor's agreements in force today (None: it has none, and may do nothing)."""
    if actor.kind != "user" or actor.id is None or not actor.has(Role.VENDOR):
        return None
    today = clock.today()
    rows = db.execute(select(VendorAgreement.id, VendorScopeItem.unit_id, VendorScopeItem.entry_id)
                      .join(VendorScopeItem, VendorScopeItem.agreement_id == VendorAgreement.id)
                      .where(VendorAgreement.vendor_user_id == actor.id,
                             VendorAgreement.status == AgreementStatus.ACTIVE.value,
                             VendorAgreement.valid_from <= today, VendorAgreement.valid_until >= today)).all()
    return _scope_from(rows) if rows else None


def _scope_from(rows: Iterable[tuple[int, int, int | None]]) -> VendorScope:
    agreements: set[int] = set()
    units: set[int] = set()
    entries: set[int] = set()
    for agreement_id, unit_id, entry_id in rows:
        agreements.add(agreement_id)
        if entry_id is None:
            units.add(unit_id)
        else:
            entries.add(entry_id)
    return VendorScope(agreement_ids=frozenset(agreements), unit_ids=frozenset(units), entry_ids=frozenset(entries))
