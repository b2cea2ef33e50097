"""audit: on PostgreSQL, the audit table partitioned by month (retention drops whole months)

Revision ID: f0005
Revises: f0004

The events move into a new table partitioned by range of `at`: one partition per Beijing-time month the table
held, the next three months, and a default partition (govdata.audit.partitions). The primary key becomes
(seq, at), as PostgreSQL requires the partition key in it. SQLite keeps its one table (nothing to do).
A large trail is copied once here; take a backup first (operator guide §2) and expect the copy to run at
roughly the speed of `INSERT … SELECT` on the machine.
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from alembic import op

revision = 'f0005'
down_revision = 'f0004'
branch_labels = None
depends_on = None

OLD = 'audit_events_unpartitioned'
INDEXES = [  # as the model declares them (f0001, f0002)
    'CREATE INDEX ix_audit_events_at ON audit_events (at)',
    'CREATE INDEX ix_audit_events_unit_at ON audit_events (unit_id, at) WHERE unit_id IS NOT NULL',
    'CREATE INDEX ix_audit_events_resource_at ON audit_events (resource_code, at) WHERE resource_code IS NOT NULL',
    'CREATE INDEX ix_audit_events_action_at ON audit_events (action, at)',
    'CREATE INDEX ix_audit_events_owner_seq ON audit_events (owner_unit_id, seq) WHERE owner_unit_id IS NOT NULL',
]
INDEX_NAMES = ['ix_audit_events_at', 'ix_audit_events_unit_at', 'ix_audit_events_resource_at',
               'ix_audit_events_action_at', 'ix_audit_events_owner_seq']


def _months(first: date, last: date) -> list[date]:
    from govdata.audit.partitions import month_start, next_month

    months, month = [], month_start(first)
    while month <= last:
        months.append(month)
        month = next_month(month)
    return months


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    from govdata import clock
    from govdata.audit.partitions import DEFAULT, create_month, next_month
    from govdata.timeutil import to_local

    op.execute(f'ALTER TABLE audit_events RENAME TO {OLD}')
    op.execute(f'ALTER INDEX pk_audit_events RENAME TO pk_{OLD}')
    for name in INDEX_NAMES:
        op.execute(f'DROP INDEX IF EXISTS {name}')
    op.execute(f'CREATE TABLE audit_events (LIKE {OLD} INCLUDING DEFAULTS) PARTITION BY RANGE (at)')
    op.execute('ALTER TABLE audit_events ADD CONSTRAINT pk_audit_events PRIMARY KEY (seq, at)')
    for statement in INDEXES:
        op.execute(statement)
    low, high = bind.execute(sa.text(f'SELECT min(at), max(at) FROM {OLD}')).one()
    today = clock.today()
    local_low, local_high = to_local(low), to_local(high)
    first = local_low.date() if local_low is not None else today
    last = max(local_high.date() if local_high is not None else today, today)
    ahead = last
    for _ in range(3):
        ahead = next_month(ahead.replace(day=1))
    # Months the table never held between its oldest event and now are made too: a purge walks months in order.
    for month in _months(min(first, today), ahead):
        create_month(bind, month)
    op.execute(f'CREATE TABLE {DEFAULT} PARTITION OF audit_events DEFAULT')
    op.execute(f'INSERT INTO audit_events SELECT * FROM {OLD}')
    op.execute(f'DROP TABLE {OLD}')


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql':
        return
    op.execute(f'CREATE TABLE {OLD} (LIKE audit_events INCLUDING DEFAULTS)')
    op.execute(f'INSERT INTO {OLD} SELECT * FROM audit_events')
    op.execute('DROP TABLE audit_events CASCADE')
    op.execute(f'ALTER TABLE {OLD} RENAME TO audit_events')
    op.execute('ALTER TABLE audit_events ADD CONSTRAINT pk_audit_events PRIMARY KEY (seq)')
    for statement in INDEXES:
        op.execute(statement)
