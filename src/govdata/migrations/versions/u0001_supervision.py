"""supervision: each unit's indicator figures per month (第二十六、二十七条)

Revision ID: u0001
Revises: 
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'u0001'
down_revision = None
branch_labels = ('supervision',)
depends_on = ('f0003', 'c0004', 'd0001', 'q0001', 's0002', 'o0003')

_COUNTS = ('entries_registered', 'entries_with_data', 'load_due', 'load_on_time', 'quality_entries',
           'share_due', 'share_on_time', 'corrections_due', 'corrections_on_time', 'demands_due',
           'demands_on_time', 'stewards', 'has_office', 'systems', 'systems_valid', 'filings_needed',
           'filings_missing')


def upgrade() -> None:
    op.create_table('supervision_monthly',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.DateTime(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    *[sa.Column(name, sa.Integer(), nullable=False) for name in _COUNTS[:5]],
    sa.Column('quality_score', sa.Float(), nullable=True),
    *[sa.Column(name, sa.Integer(), nullable=False) for name in _COUNTS[5:]],
    sa.Column('score', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_supervision_monthly_region_id_regions')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_supervision_monthly_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_monthly')),
    sa.UniqueConstraint('month', 'unit_id', name=op.f('uq_supervision_monthly_month_unit_id'))
    )
    with op.batch_alter_table('supervision_monthly', schema=None) as batch_op:
        batch_op.create_index('ix_supervision_monthly_month_region', ['month', 'region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_monthly_unit_id'), ['unit_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('supervision_monthly', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_monthly_unit_id'))
        batch_op.drop_index('ix_supervision_monthly_month_region')
    op.drop_table('supervision_monthly')
