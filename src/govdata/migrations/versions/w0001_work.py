"""work: background work items (long uploads, scans, comparisons, exports) with their progress

Revision ID: w0001
Revises:
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'w0001'
down_revision = None
branch_labels = ('work',)
depends_on = 'f0001'


def upgrade() -> None:
    op.create_table('work_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('owner_name', sa.String(length=128), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('measure', sa.String(length=8), nullable=False),
    sa.Column('done', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('total', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('result_href', sa.String(length=500), nullable=False),
    sa.Column('result_text', sa.String(length=500), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('active_key', sa.String(length=120), nullable=True),
    sa.Column('runner', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_items')),
    sa.UniqueConstraint('active_key', name=op.f('uq_work_items_active_key'))
    )
    op.create_index('ix_work_items_owner', 'work_items', ['owner_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_work_items_owner', table_name='work_items')
    op.drop_table('work_items')
