"""Audit figures: audited writes per second through the service layer, and `audit verify` speed.

Writes: each iteration is one real service call (`notifications.service.mark_read`: load, permission check,
change, hash-chained audit event) in its own transaction. Plain way: the same audit rows inserted one
transaction each, with no permission check and no chain.

Verify: the chain over 1,000,000 events (filled by bulk chain appends in large transactions). Plain way:
reading the same rows with no hashing.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert, select, text

from bench.harness import BenchContext, Figure, timed
from govdata import clock
from govdata.actor import Actor, Method, Role, platform_actor
from govdata.audit import chain
from govdata.audit.models import AuditEvent
from govdata.audit.service import AuditDraft
from govdata.auth.models import User
from govdata.notifications.models import Notification
from govdata.notifications.service import mark_read
from govdata.orgs.demo import seed as seed_orgs

FILL_BATCH = 50_000


def _reader(ctx: BenchContext) -> tuple[Actor, list[int]]:
    with ctx.database.write() as db:
        seed_orgs(db, "bench-password")
        user = db.execute(select(User).where(User.username == "steward_gaj")).scalar_one()
        actor = Actor(kind="user", id=user.id, name=user.username, roles=frozenset({Role.STEWARD}),
                      unit_id=user.unit_id, method=Method.WEB, client_addr="127.0.0.1")
    return actor, []


def _notifications(ctx: BenchContext, user_id: int, n: int) -> list[int]:
    now = clock.now()
    with ctx.database.write() as db:
        db.execute(insert(Notification), [{"user_id": user_id, "kind": "bench", "message": f"第 {i} 条",
                                           "link": "", "created_at": now} for i in range(n)])
        return list(db.execute(select(Notification.id).where(Notification.user_id == user_id)
                               .order_by(Notification.id)).scalars())


def _writes(ctx: BenchContext) -> Figure:
    n = ctx.size(20_000, 2_000)
    actor, _ = _reader(ctx)
    ids = _notifications(ctx, actor.id or 0, n)
    with timed() as t:
        for nid in ids:
            with ctx.database.write() as db:
                mark_read(db, actor, notification_id=nid)
    audited = n / t[0]
    rows = [AuditDraft(actor=actor, action="notification.read", target_type="notification", target_id=i,
                       medium="screen").to_row() for i in ids]
    plain_table = "bench_plain_events"
    _create_plain_table(ctx, plain_table)
    statement = text(f"INSERT INTO {plain_table} (at, actor_name, action, target_id, details) "
                     "VALUES (:at, :actor_name, :action, :target_id, :details)")
    with timed() as p:
        for row in rows:
            with ctx.database.write_engine.begin() as conn:
                conn.execute(statement, row)
    return Figure("audited writes (mark_read, one transaction each)", audited, "writes/s", plain=n / p[0],
                  plain_label="same rows, no check, no chain", target=">= 5000 (SQLite)")


def _create_plain_table(ctx: BenchContext, name: str) -> None:
    key = "INTEGER PRIMARY KEY" if ctx.database.is_sqlite else "BIGSERIAL PRIMARY KEY"
    with ctx.database.write_engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE {name} (id {key}, at TIMESTAMP, actor_name VARCHAR(128), "
                          "action VARCHAR(64), target_id VARCHAR(64), details TEXT)"))


def _fill(ctx: BenchContext, total: int) -> None:
    """Append `total` events through the chain in large transactions (the fast way to a big trail)."""
    actor = platform_actor(Method.JOB, name="bench")
    start = clock.now() - timedelta(days=30)
    have = 0
    while have < total:
        size = min(FILL_BATCH, total - have)
        rows = [AuditDraft(actor=actor, action="resource.push", target_type="batch", target_id=have + i,
                           resource_code="LY-BENCH-0001", owner_unit_id=1, row_count=100,
                           at=start + timedelta(seconds=have + i), details={"n": have + i}).to_row()
                for i in range(size)]
        with ctx.database.write() as db:
            chain.append(db.connection(), rows)
        have += size


def _verify(ctx: BenchContext) -> Figure:
    n = ctx.size(1_000_000, 50_000)
    with ctx.database.read() as db:
        existing = db.execute(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)).scalar() or 0
    _fill(ctx, max(0, n - existing))
    with ctx.database.engine.connect() as conn, timed() as t:
        result = chain.verify(conn)
    assert result.ok, result.problem
    with ctx.database.engine.connect() as conn, timed() as p:
        plain_rows = sum(1 for _row in chain.iter_events(conn))
    return Figure(f"audit verify over {result.checked:,} events", result.checked / t[0], "events/s",
                  plain=plain_rows / p[0], plain_label="reading the same rows, no hashing", target=">= 200000")


def run(ctx: BenchContext) -> list[Figure]:
    return [_writes(ctx), _verify(ctx)]
