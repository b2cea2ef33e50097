"""security: grading that decides (第二十一条) — export approvals for L4 values, the reason for L3/L4 in clear

Revision ID: x0401
Revises:

Requests decided before this revision keep an empty reason: their opinions were given before a reason was
asked for, and their grants stand as they were approved.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'x0401'
down_revision = None
branch_labels = ('security_grading',)
depends_on = ('f0003', 'c0004', 's0002')


def upgrade() -> None:
    op.create_table('security_export_approvals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('resource_code', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('fields', sa.Text(), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=False),
    sa.Column('requested_by_name', sa.String(length=128), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_by_name', sa.String(length=128), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], ),
    sa.ForeignKeyConstraint(['entry_id'], ['catalog_entries.id'], ),
    sa.ForeignKeyConstraint(['requested_by'], ['users.id'], ),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_security_export_approvals_target', 'security_export_approvals',
                    ['kind', 'target_id', 'status'], unique=False)
    op.create_index(op.f('ix_security_export_approvals_unit_id'), 'security_export_approvals', ['unit_id'],
                    unique=False)
    with op.batch_alter_table('share_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('clear_reason', sa.Text(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('share_requests', schema=None) as batch_op:
        batch_op.drop_column('clear_reason')
    op.drop_index(op.f('ix_security_export_approvals_unit_id'), table_name='security_export_approvals')
    op.drop_index('ix_security_export_approvals_target', table_name='security_export_approvals')
    op.drop_table('security_export_approvals')
