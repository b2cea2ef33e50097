"""security_backup: the record of backup runs (第二十四条)

Revision ID: x0001
Revises: 
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'x0001'
down_revision = None
branch_labels = ('security_backup',)
depends_on = 'f0003'


def upgrade() -> None:
    op.create_table('backup_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('database_kind', sa.String(length=16), nullable=False),
    sa.Column('members', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_backup_runs'))
    )
    op.create_index('ix_backup_runs_status_started', 'backup_runs', ['status', 'started_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_backup_runs_status_started', table_name='backup_runs')
    op.drop_table('backup_runs')
