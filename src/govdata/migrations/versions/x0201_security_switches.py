"""security: emergency switches (第二十一条 应急处置) and their version counter

Revision ID: x0201
Revises:
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'x0201'
down_revision = None
branch_labels = ('security_switches',)
depends_on = ('s0002', 'c0004')


def upgrade() -> None:
    op.create_table('emergency_switches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('system_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('object_name', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('set_by', sa.String(length=128), nullable=False),
    sa.Column('set_by_role', sa.String(length=32), nullable=False),
    sa.Column('set_at', sa.DateTime(), nullable=False),
    sa.Column('lifted_by', sa.String(length=128), nullable=False),
    sa.Column('lifted_at', sa.DateTime(), nullable=True),
    sa.Column('lift_reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['catalog_entries.id'], name=op.f('fk_emergency_switches_entry_id_catalog_entries')),
    sa.ForeignKeyConstraint(['system_id'], ['systems.id'], name=op.f('fk_emergency_switches_system_id_systems')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_emergency_switches_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_emergency_switches'))
    )
    with op.batch_alter_table('emergency_switches', schema=None) as batch_op:
        batch_op.create_index('ix_emergency_switches_in_force', ['lifted_at', 'kind'], unique=False)

    version = op.create_table('emergency_switch_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_emergency_switch_version'))
    )
    op.bulk_insert(version, [{'id': 1, 'version': 0}])


def downgrade() -> None:
    op.drop_table('emergency_switch_version')
    with op.batch_alter_table('emergency_switches', schema=None) as batch_op:
        batch_op.drop_index('ix_emergency_switches_in_force')
    op.drop_table('emergency_switches')
