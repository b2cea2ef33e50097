"""Filings for non-realtime aggregation (第九条): an entry whose data comes from the unit's own business
system but is not pushed in realtime needs a filing accepted by the bureau, stating why.

We take "own business system, not realtime" to mean ingest mode manual upload: return flow comes
from an upper-level system, and realtime is pushed. The catalog's filing model is reused (kind
`non_realtime`); this module submits and reviews that kind and lists entries still without one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from govdata import clock, policy
from govdata.actor import Actor
from govdata.audit.service import acting
from govdata.catalog.models import CatalogEntry, EntryStatus, Filing, FilingKind, FilingStatus, IngestMode
from govdata.errors import NotFound, RuleViolation
from govdata.policy import Action

KIND = FilingKind.NON_REALTIME.value


def needs_filing(entry: CatalogEntry) -> bool:
    return entry.ingest_mode == IngestMode.MANUAL.value


def filings_of(db: Session, *, entry_id: int) -> list[Filing]:
    query = select(Filing).where(Filing.entry_id == entry_id, Filing.kind == KIND).order_by(Filing.id.desc())
    return list(db.execute(query).scalars())


def accepted_filing(db: Session, *, entry_id: int) -> Filing | None:
    return next((f for f in filings_of(db, entry_id=entry_id) if f.status == FilingStatus.ACCEPTED.value), None)


def submit_filing(db: Session, actor: Actor, *, entry: CatalogEntry, reason: str) -> Filing:
    policy.require(actor, Action.CATALOG_DRAFT, entry)
    with acting(db, actor, Action.CATALOG_DRAFT, target=entry, resource_code=entry.code) as audit:
        if not needs_filing(entry):
            raise RuleViolation("该资源为实时汇聚或回流，无需非实时备案", field="entry_id")
        if len(reason.strip()) < 10:
            raise RuleViolation("请说明不能实时汇聚的原因（至少 10 个字）", field="reason")
        if any(f.status == FilingStatus.PENDING.value for f in filings_of(db, entry_id=entry.id)):
            raise RuleViolation("已有待审核的备案", field="reason")
        filing = Filing(entry_id=entry.id, unit_id=entry.unit_id, kind=KIND, reason=reason.strip(),
                        submitted_by=actor.id if actor.kind == "user" else None)
        db.add(filing)
        db.flush()
        audit.target = filing
        audit.details = {"filing": "non_realtime", "reason": filing.reason}
    return filing


def review_filing(db: Session, actor: Actor, *, filing_id: int, accept: bool, note: str) -> Filing:
    filing = db.get(Filing, filing_id)
    if filing is None or filing.kind != KIND:
        raise NotFound("备案不存在", field="filing_id")
    with acting(db, actor, Action.FILING_REVIEW, target=filing, resource_code=filing.entry.code) as audit:
        if filing.status != FilingStatus.PENDING.value:
            raise RuleViolation("该备案已审核", field="filing_id")
        if not accept and not note.strip():
            raise RuleViolation("不予备案时请写明理由", field="note")
        filing.status = (FilingStatus.ACCEPTED if accept else FilingStatus.REJECTED).value
        filing.decided_by = actor.id if actor.kind == "user" else None
        filing.decided_at = clock.now()
        filing.decision_note = note.strip()
        audit.details = {"decision": filing.status, "note": filing.decision_note}
    return filing


@dataclass
class Missing:
    entry: CatalogEntry
    pending: bool


def entries_without_filing(db: Session) -> list[Missing]:
    """Registered manual-upload entries with no accepted non-realtime filing (for supervision)."""
    entries = db.execute(select(CatalogEntry).where(CatalogEntry.status == EntryStatus.REGISTERED.value,
                                                    CatalogEntry.ingest_mode == IngestMode.MANUAL.value)
                         .order_by(CatalogEntry.unit_id, CatalogEntry.id)).scalars()
    statuses: dict[int, set[str]] = {}
    for entry_id, status in db.execute(select(Filing.entry_id, Filing.status).where(Filing.kind == KIND)).all():
        statuses.setdefault(entry_id, set()).add(status)
    return [Missing(e, FilingStatus.PENDING.value in statuses.get(e.id, set())) for e in entries
            if FilingStatus.ACCEPTED.value not in statuses.get(e.id, set())]


def pending_filings(db: Session) -> list[Filing]:
    return list(db.execute(select(Filing).where(Filing.kind == KIND, Filing.status == FilingStatus.PENDING.value)
                           .order_by(Filing.id)).scalars())
