"""catalog

Revision ID: c0001
Revises: 
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'c0001'
down_revision = None
branch_labels = ('catalog',)
depends_on = 'f0001'


def upgrade() -> None:

    op.create_table('catalog_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('category_code', sa.String(length=32), nullable=False),
    sa.Column('format', sa.String(length=24), nullable=False),
    sa.Column('published_on', sa.Date(), nullable=True),
    sa.Column('related_codes', sa.Text(), nullable=False),
    sa.Column('share_type', sa.String(length=16), nullable=False),
    sa.Column('share_condition', sa.Text(), nullable=False),
    sa.Column('share_method', sa.String(length=16), nullable=False),
    sa.Column('legal_basis', sa.Text(), nullable=False),
    sa.Column('open_type', sa.String(length=16), nullable=False),
    sa.Column('open_condition', sa.Text(), nullable=False),
    sa.Column('update_cycle', sa.String(length=16), nullable=False),
    sa.Column('ingest_mode', sa.String(length=16), nullable=False),
    sa.Column('security_class', sa.String(length=16), nullable=False),
    sa.Column('security_level', sa.String(length=4), nullable=False),
    sa.Column('recollection_basis', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('registered_at', sa.DateTime(), nullable=True),
    sa.Column('retired_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_catalog_entries_created_by_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_catalog_entries_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_entries')),
    sa.UniqueConstraint('code', name=op.f('uq_catalog_entries_code'))
    )
    with op.batch_alter_table('catalog_entries', schema=None) as batch_op:
        batch_op.create_index('ix_catalog_entries_unit_status', ['unit_id', 'status'], unique=False)

    op.create_table('catalog_fields',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=128), nullable=False),
    sa.Column('data_type', sa.String(length=1), nullable=False),
    sa.Column('length', sa.Integer(), nullable=True),
    sa.Column('precision', sa.Integer(), nullable=True),
    sa.Column('is_key', sa.Boolean(), nullable=False),
    sa.Column('is_lookup', sa.Boolean(), nullable=False),
    sa.Column('is_required', sa.Boolean(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('sensitivity', sa.String(length=16), nullable=False),
    sa.Column('masking_rule', sa.String(length=32), nullable=False),
    sa.Column('security_level', sa.String(length=4), nullable=False),
    sa.Column('rules', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['catalog_entries.id'], name=op.f('fk_catalog_fields_entry_id_catalog_entries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_fields')),
    sa.UniqueConstraint('entry_id', 'name', name=op.f('uq_catalog_fields_entry_id_name'))
    )
    with op.batch_alter_table('catalog_fields', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_fields_entry_id'), ['entry_id'], unique=False)

    op.create_table('catalog_filings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('legal_basis', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('submitted_by', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_catalog_filings_decided_by_users')),
    sa.ForeignKeyConstraint(['entry_id'], ['catalog_entries.id'], name=op.f('fk_catalog_filings_entry_id_catalog_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submitted_by'], ['users.id'], name=op.f('fk_catalog_filings_submitted_by_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_catalog_filings_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_filings'))
    )
    with op.batch_alter_table('catalog_filings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_filings_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index('ix_catalog_filings_status', ['status'], unique=False)

    op.create_table('catalog_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('snapshot', sa.Text(), nullable=False),
    sa.Column('diff', sa.Text(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_catalog_versions_created_by_users')),
    sa.ForeignKeyConstraint(['entry_id'], ['catalog_entries.id'], name=op.f('fk_catalog_versions_entry_id_catalog_entries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_versions')),
    sa.UniqueConstraint('entry_id', 'version', name=op.f('uq_catalog_versions_entry_id_version'))
    )
    with op.batch_alter_table('catalog_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_versions_entry_id'), ['entry_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('catalog_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_versions_entry_id'))

    op.drop_table('catalog_versions')
    with op.batch_alter_table('catalog_filings', schema=None) as batch_op:
        batch_op.drop_index('ix_catalog_filings_status')
        batch_op.drop_index(batch_op.f('ix_catalog_filings_entry_id'))

    op.drop_table('catalog_filings')
    with op.batch_alter_table('catalog_fields', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_fields_entry_id'))

    op.drop_table('catalog_fields')
    with op.batch_alter_table('catalog_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_catalog_entries_unit_status')

    op.drop_table('catalog_entries')

