"""audit: partial indexes on the columns many events leave empty

Revision ID: f0002
Revises: f0001

Events without an actor unit, a resource or an owner unit (sign-ins, notifications, jobs) get no entry
in the index of that column: nothing searches for an empty one, and every entry left out is a page
fewer written by the commit of an audited write.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'f0002'
down_revision = 'f0001'
branch_labels = None
depends_on = None

PARTIAL = [
    ('ix_audit_events_unit_at', ['unit_id', 'at'], 'unit_id'),
    ('ix_audit_events_resource_at', ['resource_code', 'at'], 'resource_code'),
    ('ix_audit_events_owner_seq', ['owner_unit_id', 'seq'], 'owner_unit_id'),
]


def upgrade() -> None:
    for name, columns, column in PARTIAL:
        op.drop_index(name, table_name='audit_events')
        where = sa.text(f'{column} IS NOT NULL')
        op.create_index(name, 'audit_events', columns, unique=False, sqlite_where=where, postgresql_where=where)


def downgrade() -> None:
    for name, columns, _column in PARTIAL:
        op.drop_index(name, table_name='audit_events')
        op.create_index(name, 'audit_events', columns, unique=False)
