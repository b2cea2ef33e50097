"""Retention: events are kept at least 180 days (第二十四条); older ones may be purged.

On PostgreSQL the table is partitioned by month (`audit.partitions`): whole months before the cut-off are
dropped as tables, and only a month the cut-off goes through is deleted row by row.

Purging cuts the chain's start: the head's anchor moves to the last purged event, so `verify` starts from the
first kept event's recorded prev_hash. The purge leaves a checkpoint signed with the seal key (that event's seq
and hash), without which a chain starting after seq 0 does not verify: only a purge, not a hand-made DELETE and
a moved anchor, can shorten the trail from its start. The purge itself is an audited event.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from govdata import clock
from govdata.actor import Actor
from govdata.audit import partitions
from govdata.audit.models import AuditEvent, AuditHead
from govdata.audit.sealing import leave_checkpoint
from govdata.audit.sealkey import SealKey
from govdata.audit.service import acting
from govdata.errors import RuleViolation
from govdata.policy import Action
from govdata.storage.engines import rowcount
from govdata.timeutil import local_midnight_utc


def purge_before(db: Session, actor: Actor, *, before: date, key: SealKey, retention_days: int = 180) -> int:
    """Delete events dated before `before`, leaving a checkpoint signed with `key`; refuse any cut-off inside
    the retention period."""
    with acting(db, actor, Action.AUDIT_PURGE, target_type="audit", medium="database") as audit:
        earliest_allowed = clock.today() - timedelta(days=retention_days)
        if before > earliest_allowed:
            raise RuleViolation(f"审计日志至少保留 {retention_days} 天：截止日期不得晚于 {earliest_allowed}",
                                field="before")
        cutoff = local_midnight_utc(before)
        last = db.execute(select(func.max(AuditEvent.seq)).where(AuditEvent.at < cutoff)).scalar()
        if last is None:
            audit.row_count = 0
            audit.details = {"before": before.isoformat(), "deleted": 0}
            return 0
        anchor = db.execute(select(AuditEvent.hash).where(AuditEvent.seq == last)).scalar_one()
        # PostgreSQL: whole months before the cut-off go as tables (a catalogue change), the rest row by row.
        dropped, in_dropped = partitions.drop_months_before(db.connection(), cutoff) \
            if partitions.is_partitioned(db.connection()) else ([], 0)
        deleted = in_dropped + rowcount(db.execute(delete(AuditEvent).where(AuditEvent.seq <= last)))
        db.execute(update(AuditHead).where(AuditHead.id == 1).values(anchor_seq=last, anchor_hash=anchor))
        checkpoint = leave_checkpoint(db, key, seq=last, hash=anchor)
        audit.row_count = deleted
        audit.details = {"before": before.isoformat(), "deleted": deleted, "anchor_seq": last,
                         "checkpoint_id": checkpoint.id, "key_id": checkpoint.key_id}
        if dropped:
            audit.details["dropped_partitions"] = dropped
    return deleted
