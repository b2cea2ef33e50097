"""Log push (第二十四条: 根据需要将使用日志推送给相应的数据生产应用单位): each unit's audit events, pushed to it on a
schedule as signed JSON lines, into a folder or to its HTTPS endpoint, besides the pull feed (`audit.api`).

The events a unit gets are the feed's: those whose data is the unit's (`owner_unit_id`). A push is three steps,
each its own short transaction, so that no database connection waits on a unit's endpoint:

1. `prepare`: the next batch is fixed — the events after the cursor (`delivered_seq`), oldest first, at most
   `logpush_batch_events` — and stored with its exact bytes, unless a batch already waits, which is sent again.
2. `logpush_send.deliver`: the files go into the folder or to the endpoint.
3. `acknowledge`: only now does the cursor move to the batch's last seq. A failure (`fail`) leaves the batch
   waiting and sets the next attempt after an exponential backoff (1, 2, 4 … minutes, at most an hour).

A crash between 2 and 3 sends the same batch, with the same names and bytes, again: the unit gets each event
once. Two runs at once cannot both make a batch (the batch counter is claimed by a conditional update, and a
target's batches are unique by first seq), and only one can acknowledge it.

The records of pushing itself (`logpush.deliver`) carry no owning unit, so they never become events to push
(else every push would make the next one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from govdata import clock, policy
from govdata.actor import Actor
from govdata.audit import labels
from govdata.audit.models import AuditEvent
from govdata.audit.sealkey import SealKey
from govdata.audit.service import acting
from govdata.config import Settings
from govdata.errors import NotFound, RuleViolation
from govdata.orgs.models import Unit
from govdata.policy import Action
from govdata.security import logpush_bundle
from govdata.security.logpush_models import DeliveryStatus, DestinationKind, LogPushDelivery, LogPushTarget, Schedule
from govdata.security.logpush_schemas import LogPushSettingIn
from govdata.security.logpush_send import DeliveryFailed, Parcel, deliver
from govdata.storage.base import row_by_id
from govdata.storage.engines import Database, rowcount
from govdata.targets import TargetRef

PERIODS = {Schedule.HOURLY: timedelta(hours=1), Schedule.DAILY: timedelta(days=1)}
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
# What a line is made of: the feed's columns (the chain's own links stay in the trail).
_COLUMNS = [c for c in AuditEvent.__table__.columns if c.name not in ("prev_hash", "request_id")]


def backoff(failures: int) -> timedelta:
    """How long after its `failures`-th failure in a row a unit's push is tried again: doubling, capped."""
    return min(BACKOFF_FIRST * 2 ** min(max(failures - 1, 0), 16), BACKOFF_CAP)


def period(target: LogPushTarget) -> timedelta:
    return PERIODS.get(Schedule(target.schedule), PERIODS[Schedule.HOURLY])


def unit_ref(unit_id: int) -> TargetRef:
    """What the policy decides on and the audit names: a unit's log push."""
    return TargetRef("logpush_target", unit_id, unit_id, None)


# settings ------------------------------------------------------------------------------------------------------


def destination_problem(settings: Settings, kind: DestinationKind, destination: str) -> str | None:
    """The rules on a destination that depend on the installation's settings (the shape is the schema's)."""
    if kind == DestinationKind.HTTPS:
        parts = urlsplit(destination)
        if parts.scheme == "http" and (not settings.logpush_allow_http_loopback or parts.hostname not in LOOPBACK):
            return "只接受 https:// 地址（日志不能以明文经网络传送）"
        return None
    root = settings.logpush_folder_root
    if root is not None and not Path(destination).resolve().is_relative_to(Path(root).resolve()):
        return f"应位于平台设定的推送目录 {root} 之下"
    return None


def _snapshot(target: LogPushTarget | None) -> dict[str, Any] | None:
    if target is None:
        return None
    return {"kind": target.kind, "destination": target.destination, "schedule": target.schedule,
            "enabled": target.enabled}


def set_target(db: Session, actor: Actor, settings: Settings, *, data: LogPushSettingIn) -> LogPushTarget:
    """Make or replace a unit's delivery setting. A batch still waiting goes to the new destination; a changed
    setting is tried at the next round, its backoff forgotten."""
    unit = row_by_id(db, Unit, data.unit_id)
    if unit is None:
        raise RuleViolation(f"单位不存在：{data.unit_id}", field="unit_id")
    with acting(db, actor, Action.LOGPUSH_MANAGE, target=unit_ref(unit.id)) as audit:
        problem = destination_problem(settings, data.kind, data.destination)
        if problem:
            raise RuleViolation(problem, field="destination")
        target = find_target(db, unit_id=unit.id)
        before = _snapshot(target)
        if target is None:
            target = LogPushTarget(unit_id=unit.id, delivered_seq=0, batches=0, failures=0)
            db.add(target)
        target.kind, target.destination = data.kind.value, data.destination
        target.schedule, target.enabled = data.schedule.value, data.enabled
        target.failures, target.last_error, target.next_attempt_at = 0, "", None
        target.updated_by, target.updated_at = actor.name, clock.now()
        db.flush()
        db.execute(update(LogPushDelivery)
                   .where(LogPushDelivery.target_id == target.id,
                          LogPushDelivery.status == DeliveryStatus.PENDING.value)
                   .values(kind=target.kind, destination=target.destination)
                   .execution_options(synchronize_session=False))
        audit.details = {"before": before, "after": _snapshot(target), "unit": unit.name}
    return target


# reads ---------------------------------------------------------------------------------------------------------


def find_target(db: Session, *, unit_id: int) -> LogPushTarget | None:
    return db.execute(select(LogPushTarget).where(LogPushTarget.unit_id == unit_id)).scalar_one_or_none()


def list_targets(db: Session, actor: Actor) -> list[LogPushTarget]:
    """The settings `actor` may see: all (center, security), or its own unit's."""
    query = (select(LogPushTarget).where(policy.where(actor, Action.LOGPUSH_VIEW, LogPushTarget))
             .order_by(LogPushTarget.unit_id))
    return list(db.execute(query).scalars())


def overview(db: Session, actor: Actor) -> list[tuple[Unit, LogPushTarget | None]]:
    """Each unit `actor` may see with its setting (None: not set): every unit for the center and security,
    the own unit for its people."""
    targets = {t.unit_id: t for t in list_targets(db, actor)}
    query = select(Unit).order_by(Unit.id)
    if not policy.sees_all(actor, Action.LOGPUSH_VIEW):
        query = query.where(Unit.id == (actor.unit_id or -1))
    return [(unit, targets.get(unit.id)) for unit in db.execute(query).scalars()]


def view_unit(db: Session, actor: Actor, *, unit_id: int) -> tuple[Unit, LogPushTarget | None]:
    unit = row_by_id(db, Unit, unit_id)
    if unit is None:
        raise NotFound("单位不存在", field="unit_id")
    policy.require(actor, Action.LOGPUSH_VIEW, unit_ref(unit.id))
    return unit, find_target(db, unit_id=unit.id)


def waiting_events(db: Session, target: LogPushTarget) -> int:
    """Events concerning the unit not yet acknowledged by it."""
    query = select(func.count()).select_from(AuditEvent).where(AuditEvent.owner_unit_id == target.unit_id,
                                                               AuditEvent.seq > target.delivered_seq)
    return int(db.execute(query).scalar_one())


def deliveries(db: Session, target: LogPushTarget, *, limit: int = 50) -> list[LogPushDelivery]:
    """The unit's batches, newest first (a waiting one on top)."""
    query = (select(LogPushDelivery).where(LogPushDelivery.target_id == target.id)
             .order_by(LogPushDelivery.batch_no.desc()).limit(limit))
    return list(db.execute(query).scalars())


def is_behind(target: LogPushTarget, now: datetime) -> bool:
    """Enabled, and either failing or not delivered for more than two periods while events wait (the caller
    knows whether they wait)."""
    if not target.enabled:
        return False
    last = target.last_delivered_at or target.updated_at
    return target.failures > 0 or last < now - 2 * period(target)


# the push ------------------------------------------------------------------------------------------------------


def _pending(db: Session, target_id: int) -> LogPushDelivery | None:
    query = select(LogPushDelivery).where(LogPushDelivery.target_id == target_id,
                                          LogPushDelivery.status == DeliveryStatus.PENDING.value)
    return db.execute(query.order_by(LogPushDelivery.batch_no).limit(1)).scalar_one_or_none()


def prepare(db: Session, actor: Actor, settings: Settings, *, target_id: int, key: SealKey) -> int | None:
    """The batch to send now: the one still waiting, or a new one of the events after the cursor (None: no
    event waits, and the next round is one period on)."""
    target = db.get(LogPushTarget, target_id)
    if target is None or not target.enabled:
        return None
    waiting = _pending(db, target.id)
    if waiting is not None:
        return waiting.id
    query = (select(*_COLUMNS).where(AuditEvent.owner_unit_id == target.unit_id,
                                     AuditEvent.seq > target.delivered_seq)
             .order_by(AuditEvent.seq).limit(settings.logpush_batch_events))
    rows = [r._mapping for r in db.execute(query)]
    if not rows:
        target.next_attempt_at = clock.now() + period(target)
        return None
    batch_no = target.batches + 1
    claimed = db.execute(update(LogPushTarget).where(LogPushTarget.id == target.id,
                                                     LogPushTarget.batches == target.batches)
                         .values(batches=batch_no).execution_options(synchronize_session=False))
    if rowcount(claimed) != 1:
        return None  # another run made this batch first; it sends it
    names = labels.Names.load(db, [n for r in rows for n in (r["actor_name"], r["approver"], r["operator"])])
    bundle = logpush_bundle.build(rows, names, unit=target.unit, batch_no=batch_no, key=key)
    with acting(db, actor, Action.LOGPUSH_DELIVER, target_type="logpush_delivery") as audit:
        delivery = LogPushDelivery(
            target_id=target.id, unit_id=target.unit_id, batch_no=batch_no, first_seq=rows[0]["seq"],
            last_seq=rows[-1]["seq"], event_count=len(rows), file_name=bundle.lines_name, sha256=bundle.sha256,
            manifest_sha256=bundle.manifest_sha256, kind=target.kind, destination=target.destination,
            status=DeliveryStatus.PENDING.value, attempts=0, created_at=clock.now(), lines=bundle.lines.decode(),
            manifest=bundle.manifest.decode(), signature=bundle.signature)
        db.add(delivery)
        db.flush()
        audit.target_id = delivery.id
        audit.details = {"step": "prepared", "unit_id": target.unit_id, "batch_no": batch_no,
                         "first_seq": delivery.first_seq, "last_seq": delivery.last_seq, "count": len(rows)}
    return delivery.id


def parcel_of(delivery: LogPushDelivery) -> Parcel:
    bundle = logpush_bundle.Bundle(base=delivery.file_name.removesuffix(".jsonl"), lines=delivery.lines.encode(),
                                   manifest=delivery.manifest.encode(), signature=delivery.signature)
    return Parcel(kind=delivery.kind, destination=delivery.destination, bundle=bundle)


def acknowledge(db: Session, actor: Actor, *, delivery_id: int) -> bool:
    """The unit has the batch: the cursor moves past it. False: it was acknowledged already (another run)."""
    now = clock.now()
    delivery = db.get(LogPushDelivery, delivery_id)
    if delivery is None:
        return False
    with acting(db, actor, Action.LOGPUSH_DELIVER, target_type="logpush_delivery", target_id=delivery.id,
                row_count=delivery.event_count) as audit:
        done = db.execute(update(LogPushDelivery)
                          .where(LogPushDelivery.id == delivery.id,
                                 LogPushDelivery.status == DeliveryStatus.PENDING.value)
                          .values(status=DeliveryStatus.DELIVERED.value, delivered_at=now,
                                  attempts=LogPushDelivery.attempts + 1, lines="")
                          .execution_options(synchronize_session=False))
        if rowcount(done) != 1:
            raise _AlreadyDone()
        target = db.get(LogPushTarget, delivery.target_id)
        assert target is not None
        target.delivered_seq = max(target.delivered_seq, delivery.last_seq)
        target.failures, target.last_error = 0, ""
        target.last_attempt_at = target.last_delivered_at = now
        target.next_attempt_at = now + period(target)
        audit.details = {"step": "delivered", "unit_id": delivery.unit_id, "batch_no": delivery.batch_no,
                         "first_seq": delivery.first_seq, "last_seq": delivery.last_seq,
                         "kind": delivery.kind, "destination": delivery.destination,
                         "manifest_sha256": delivery.manifest_sha256}
    return True


class _AlreadyDone(Exception):
    """Leaves `acting` without recording: nothing changed."""


def fail(db: Session, actor: Actor, *, delivery_id: int, message: str) -> None:
    """The unit did not acknowledge: the batch waits, and the next attempt is put off by the backoff."""
    now = clock.now()
    delivery = db.get(LogPushDelivery, delivery_id)
    if delivery is None:
        return
    target = db.get(LogPushTarget, delivery.target_id)
    assert target is not None
    with acting(db, actor, Action.LOGPUSH_DELIVER, target_type="logpush_delivery", target_id=delivery.id,
                outcome="error") as audit:
        delivery.attempts += 1
        target.failures += 1
        target.last_attempt_at, target.last_error = now, message[:500]
        target.next_attempt_at = now + backoff(target.failures)
        audit.details = {"step": "failed", "unit_id": delivery.unit_id, "batch_no": delivery.batch_no,
                         "error": message, "next_attempt_at": target.next_attempt_at}


@dataclass
class PushResult:
    unit_id: int
    batches: int = 0
    events: int = 0
    error: str = ""


def push_unit(database: Database, settings: Settings, actor: Actor, *, target_id: int, key: SealKey,
              max_batches: int = 20) -> PushResult:
    """Send a unit's waiting batches (at most `max_batches` this round; the rest at the next)."""
    with database.read() as db:
        target = db.get(LogPushTarget, target_id)
        result = PushResult(unit_id=target.unit_id if target else 0)
    for _ in range(max_batches):
        with database.write() as db:
            delivery_id = prepare(db, actor, settings, target_id=target_id, key=key)
        if delivery_id is None:
            break
        with database.read() as db:
            delivery = db.get(LogPushDelivery, delivery_id)
            assert delivery is not None
            parcel, count = parcel_of(delivery), delivery.event_count
        try:
            deliver(parcel, timeout=settings.logpush_timeout_seconds)
        except DeliveryFailed as exc:
            with database.write() as db:
                fail(db, actor, delivery_id=delivery_id, message=exc.message)
            result.error = exc.message
            break
        try:
            with database.write() as db:
                acknowledge(db, actor, delivery_id=delivery_id)
        except _AlreadyDone:
            pass
        result.batches += 1
        result.events += count
    else:  # more may wait than one round sends: the next round goes on
        with database.write() as db:
            db.execute(update(LogPushTarget).where(LogPushTarget.id == target_id)
                       .values(next_attempt_at=clock.now()).execution_options(synchronize_session=False))
    return result


def due_targets(db: Session) -> list[int]:
    now = clock.now()
    query = (select(LogPushTarget.id).where(LogPushTarget.enabled.is_(True))
             .where((LogPushTarget.next_attempt_at.is_(None)) | (LogPushTarget.next_attempt_at <= now))
             .order_by(LogPushTarget.unit_id))
    return list(db.execute(query).scalars())


def push_due(database: Database, settings: Settings, actor: Actor, *, key: SealKey) -> list[PushResult]:
    """Every unit whose push is due (its schedule came round, or its backoff ran out)."""
    with database.read() as db:
        due = due_targets(db)
    return [push_unit(database, settings, actor, target_id=target_id, key=key) for target_id in due]
