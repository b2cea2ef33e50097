"""security: log push to the units (第二十四条) — delivery settings and batches

Revision ID: x0101
Revises:
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'x0101'
down_revision = None
branch_labels = ('security_logpush',)
depends_on = 'f0003'

SEQ = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('logpush_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('destination', sa.String(length=1000), nullable=False),
    sa.Column('schedule', sa.String(length=8), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('delivered_seq', SEQ, nullable=False),
    sa.Column('batches', sa.Integer(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('last_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('last_delivered_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=False),
    sa.Column('updated_by', sa.String(length=128), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_logpush_targets_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_logpush_targets')),
    sa.UniqueConstraint('unit_id', name=op.f('uq_logpush_targets_unit_id'))
    )
    op.create_table('logpush_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('batch_no', sa.Integer(), nullable=False),
    sa.Column('first_seq', SEQ, nullable=False),
    sa.Column('last_seq', SEQ, nullable=False),
    sa.Column('event_count', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('manifest_sha256', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('destination', sa.String(length=1000), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.Column('lines', sa.Text(), nullable=False),
    sa.Column('manifest', sa.Text(), nullable=False),
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['target_id'], ['logpush_targets.id'],
                            name=op.f('fk_logpush_deliveries_target_id_logpush_targets')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_logpush_deliveries_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_logpush_deliveries')),
    sa.UniqueConstraint('target_id', 'batch_no', name=op.f('uq_logpush_deliveries_target_id_batch_no')),
    sa.UniqueConstraint('target_id', 'first_seq', name=op.f('uq_logpush_deliveries_target_id_first_seq'))
    )
    op.create_index('ix_logpush_deliveries_target_status', 'logpush_deliveries', ['target_id', 'status'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_logpush_deliveries_target_status', table_name='logpush_deliveries')
    op.drop_table('logpush_deliveries')
    op.drop_table('logpush_targets')
