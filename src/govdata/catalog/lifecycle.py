"""Submission, registration, filings with the bureau (第十一条), versions (第八条) and retirement."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata import clock, hooks
from govdata.actor import Actor, Role
from govdata.audit.service import acting
from govdata.auth.models import User, UserRole
from govdata.catalog import search, versions
from govdata.catalog.models import (
    CatalogEntry,
    CodeSequence,
    EntryStatus,
    EntryVersion,
    Filing,
    FilingKind,
    FilingStatus,
    ShareType,
)
from govdata.catalog.schemas import EntryUpdate, FilingDecision
from govdata.catalog.service import apply_content, get_entry, pending_filing
from govdata.errors import Conflict, NotFound
from govdata.notifications.service import notify, notify_unit
from govdata.policy import Action

NEEDS_FILING = {ShareType.CONDITIONAL.value, ShareType.NOT_SHARED.value}


def next_code(db: Session, *, category_code: str) -> str:
    """分类码/顺序码: the counter only grows, so a code is never handed out twice."""
    seq = db.execute(select(CodeSequence).where(CodeSequence.category_code == category_code)
                     .with_for_update()).scalar_one_or_none()
    if seq is None:
        seq = CodeSequence(category_code=category_code, last_seq=0)
        db.add(seq)
    while True:
        seq.last_seq += 1
        code = f"{category_code}/{seq.last_seq:06d}"
        if db.execute(select(CatalogEntry.id).where(CatalogEntry.code == code)).first() is None:
            return code


def _user_id(actor: Actor) -> int | None:
    return actor.id if actor.kind == "user" else None


def submitters(db: Session, entry: CatalogEntry) -> list[str]:
    """Who submits this entry's draft or change: the heads of its unit's data office, by name."""
    query = (select(User.display_name).join(UserRole).where(
        User.unit_id == entry.unit_id, User.is_active.is_(True), UserRole.role == Role.UNIT_HEAD.value)
        .order_by(User.id))
    return list(db.execute(query).scalars())


def _bureau_ids(db: Session) -> list[int]:
    query = select(User.id).join(UserRole).where(UserRole.role == Role.BUREAU.value, User.is_active.is_(True))
    return list(db.execute(query).scalars())


def _register(db: Session, actor: Actor, entry: CatalogEntry, before: dict[str, object]) -> dict[str, object]:
    """Make the entry's current content its next registered version and tell the other domains."""
    entry.version += 1
    entry.status = EntryStatus.REGISTERED.value
    entry.registered_at = clock.now()
    if entry.published_on is None:
        entry.published_on = clock.today()
    after = versions.snapshot(entry)
    change = versions.diff(before, after)
    db.add(EntryVersion(entry_id=entry.id, version=entry.version, snapshot=versions.dumps(after),
                        diff=versions.dumps(change), created_by=_user_id(actor)))
    search.index_entry(db, entry)
    hooks.entry_changed(db, entry=entry, version=entry.version, diff=change)
    return change


def _apply_pending(db: Session, actor: Actor, entry: CatalogEntry) -> dict[str, object]:
    before = versions.snapshot(entry)
    apply_content(entry, EntryUpdate.model_validate_json(entry.pending_change or "{}"))
    entry.pending_change = None
    return _register(db, actor, entry, before)


def _open_filing(db: Session, actor: Actor, entry: CatalogEntry, *, share_type: str, legal_basis: str,
                 condition: str) -> Filing:
    filing = Filing(entry_id=entry.id, unit_id=entry.unit_id, kind=FilingKind.SHARE_TYPE.value,
                    reason=f"{'有条件共享' if share_type == ShareType.CONDITIONAL.value else '暂不共享'}：{condition}",
                    legal_basis=legal_basis, submitted_by=_user_id(actor))
    db.add(filing)
    db.flush()
    notify(db, user_ids=_bureau_ids(db), kind="catalog.filing",
           message=f"{entry.unit.name}提交了“{entry.name}”的共享类型备案，请审核", link="/catalog/filings")
    return filing


def submit_entry(db: Session, actor: Actor, *, entry_id: int) -> CatalogEntry:
    """The unit head submits a draft, or the pending change of a registered entry."""
    entry = get_entry(db, entry_id=entry_id)
    with acting(db, actor, Action.CATALOG_SUBMIT, target=entry) as audit:
        if pending_filing(db, entry_id=entry.id) is not None:
            raise Conflict("该资源已提交，正在等待大数据局备案审核", field="status")
        if entry.status == EntryStatus.DRAFT.value:
            if entry.code is None:
                entry.code = next_code(db, category_code=entry.category_code)
                search.index_entry(db, entry)  # the code is searchable from now on
            if entry.share_type in NEEDS_FILING:
                entry.status = EntryStatus.SUBMITTED.value
                filing = _open_filing(db, actor, entry, share_type=entry.share_type, legal_basis=entry.legal_basis,
                                      condition=entry.share_condition)
                audit.details = {"code": entry.code, "filing_id": filing.id}
            else:
                before = versions.loads(_last_snapshot(db, entry)) or versions.EMPTY
                audit.details = {"code": entry.code, "version": entry.version + 1,
                                 "diff": _register(db, actor, entry, before)}
        elif entry.status == EntryStatus.REGISTERED.value and entry.pending_change:
            change = EntryUpdate.model_validate_json(entry.pending_change)
            new_filing = change.share_type.value in NEEDS_FILING and (
                change.share_type.value != entry.share_type or change.legal_basis != entry.legal_basis)
            if new_filing:
                filing = _open_filing(db, actor, entry, share_type=change.share_type.value,
                                      legal_basis=change.legal_basis, condition=change.share_condition)
                audit.details = {"code": entry.code, "filing_id": filing.id, "pending": True}
            else:
                audit.details = {"code": entry.code, "version": entry.version + 1,
                                 "diff": _apply_pending(db, actor, entry)}
        else:
            raise Conflict("没有需要提交的内容（草稿或已登记资源的变更）", field="status")
        audit.resource_code = entry.code
    db.flush()
    return entry


def _last_snapshot(db: Session, entry: CatalogEntry) -> str | None:
    if entry.version == 0:
        return None
    return db.execute(select(EntryVersion.snapshot).where(EntryVersion.entry_id == entry.id,
                                                          EntryVersion.version == entry.version)).scalar()


def get_filing(db: Session, *, filing_id: int) -> Filing:
    filing = db.get(Filing, filing_id)
    if filing is None:
        raise NotFound(f"备案 {filing_id} 不存在", field="filing_id")
    return filing


def list_filings(db: Session, *, status: str | None = None, entry_id: int | None = None) -> list[Filing]:
    query = select(Filing).order_by(Filing.submitted_at.desc(), Filing.id.desc())
    if status:
        query = query.where(Filing.status == status)
    if entry_id is not None:
        query = query.where(Filing.entry_id == entry_id)
    return list(db.execute(query).scalars())


def decide_filing(db: Session, actor: Actor, *, filing_id: int, decision: FilingDecision) -> Filing:
    """The bureau accepts a filing (the entry or its change is registered) or sends it back with reasons."""
    filing = get_filing(db, filing_id=filing_id)
    entry = filing.entry
    with acting(db, actor, Action.FILING_REVIEW, target=filing, resource_code=entry.code) as audit:
        if filing.status != FilingStatus.PENDING.value:
            raise Conflict("该备案已处理", field="filing_id")
        filing.status = (FilingStatus.ACCEPTED if decision.accept else FilingStatus.REJECTED).value
        filing.decided_by = _user_id(actor)
        filing.decided_at = clock.now()
        filing.decision_note = decision.note
        details: dict[str, object] = {"accept": decision.accept, "note": decision.note, "entry_id": entry.id}
        if decision.accept and entry.status == EntryStatus.SUBMITTED.value:
            before = versions.loads(_last_snapshot(db, entry)) or versions.EMPTY
            details["diff"] = _register(db, actor, entry, before)
        elif decision.accept and entry.pending_change:
            details["diff"] = _apply_pending(db, actor, entry)
        elif entry.status == EntryStatus.SUBMITTED.value:
            entry.status = EntryStatus.DRAFT.value  # back to the steward, with the reasons
        details["version"] = entry.version
        audit.details = details
        verdict = "已通过" if decision.accept else f"被退回：{decision.note}"
        notify_unit(db, unit_id=entry.unit_id, kind="catalog.filing_decided",
                    message=f"“{entry.name}”的共享类型备案{verdict}", link=f"/catalog/{entry.id}",
                    roles=(Role.STEWARD, Role.UNIT_HEAD))
    db.flush()
    return filing


def retire_entry(db: Session, actor: Actor, *, entry_id: int, reason: str) -> CatalogEntry:
    """The unit head retires an entry; its code stays taken for good."""
    entry = get_entry(db, entry_id=entry_id)
    with acting(db, actor, Action.CATALOG_RETIRE, target=entry) as audit:
        if entry.status == EntryStatus.RETIRED.value:
            raise Conflict("该资源已撤销", field="status")
        filing = pending_filing(db, entry_id=entry.id)
        if filing is not None:
            filing.status = FilingStatus.REJECTED.value
            filing.decision_note = "资源已撤销，备案自动关闭"
            filing.decided_at = clock.now()
        audit.details = {"reason": reason, "status_before": entry.status, "version": entry.version}
        entry.status = EntryStatus.RETIRED.value
        entry.retired_at = clock.now()
        entry.pending_change = None
        search.index_entry(db, entry)
    db.flush()
    return entry
