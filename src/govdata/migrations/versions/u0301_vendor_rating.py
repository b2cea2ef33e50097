"""supervision: the bureau's periodic score of each technical-service vendor (第二十七、二十九条)

Revision ID: u0301
Revises: 
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'u0301'
down_revision = None
branch_labels = ('vendor_rating',)
depends_on = ('f0001', 'v0001')


def upgrade() -> None:
    op.create_table('vendor_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vendor_user_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('scored_by', sa.String(length=128), nullable=False),
    sa.Column('scored_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['vendor_user_id'], ['users.id'], name=op.f('fk_vendor_scores_vendor_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vendor_scores')),
    sa.UniqueConstraint('vendor_user_id', 'period', name=op.f('uq_vendor_scores_vendor_user_id_period'))
    )
    with op.batch_alter_table('vendor_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vendor_scores_vendor_user_id'), ['vendor_user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('vendor_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vendor_scores_vendor_user_id'))
    op.drop_table('vendor_scores')
