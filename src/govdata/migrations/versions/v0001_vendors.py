"""vendors: confidentiality agreements of third-party contractors (第二十九条)

Revision ID: v0001
Revises: 
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'v0001'
down_revision = None
branch_labels = ('vendors',)
depends_on = 'c0001'


def upgrade() -> None:
    op.create_table('vendor_agreements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vendor_user_id', sa.Integer(), nullable=False),
    sa.Column('company', sa.String(length=200), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('signed_by', sa.String(length=128), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('file_key', sa.String(length=80), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('file_type', sa.String(length=64), nullable=False),
    sa.Column('file_size', sa.Integer(), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('ended_by', sa.String(length=128), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('end_reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_vendor_agreements_unit_id_units')),
    sa.ForeignKeyConstraint(['vendor_user_id'], ['users.id'], name=op.f('fk_vendor_agreements_vendor_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vendor_agreements'))
    )
    with op.batch_alter_table('vendor_agreements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vendor_agreements_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index('ix_vendor_agreements_vendor_status', ['vendor_user_id', 'status'], unique=False)

    op.create_table('vendor_agreement_scope',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['agreement_id'], ['vendor_agreements.id'], name=op.f('fk_vendor_agreement_scope_agreement_id_vendor_agreements'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['entry_id'], ['catalog_entries.id'], name=op.f('fk_vendor_agreement_scope_entry_id_catalog_entries')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_vendor_agreement_scope_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vendor_agreement_scope'))
    )
    with op.batch_alter_table('vendor_agreement_scope', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vendor_agreement_scope_agreement_id'), ['agreement_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('vendor_agreement_scope', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vendor_agreement_scope_agreement_id'))

    op.drop_table('vendor_agreement_scope')
    with op.batch_alter_table('vendor_agreements', schema=None) as batch_op:
        batch_op.drop_index('ix_vendor_agreements_vendor_status')
        batch_op.drop_index(batch_op.f('ix_vendor_agreements_unit_id'))

    op.drop_table('vendor_agreements')
