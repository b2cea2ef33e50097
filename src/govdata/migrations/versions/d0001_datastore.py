"""datastore

Revision ID: d0001
Revises: 
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'd0001'
down_revision = None
branch_labels = ('datastore',)
depends_on = 'c0001'


def upgrade() -> None:
    op.create_table('datastore_tables',
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('fields_json', sa.Text(), nullable=False),
    sa.Column('report', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['catalog_entries.id'], name=op.f('fk_datastore_tables_entry_id_catalog_entries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('entry_id', name=op.f('pk_datastore_tables'))
    )
    op.create_table('ingest_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('actor_name', sa.String(length=128), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('system_id', sa.Integer(), nullable=True),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('idempotency_key', sa.String(length=128), nullable=True),
    sa.Column('body_hash', sa.String(length=64), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('duration_ms', sa.Float(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('inserted', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('deleted', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['catalog_entries.id'], name=op.f('fk_ingest_batches_entry_id_catalog_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['system_id'], ['systems.id'], name=op.f('fk_ingest_batches_system_id_systems')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_ingest_batches_unit_id_units')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_ingest_batches_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ingest_batches')),
    sa.UniqueConstraint('entry_id', 'idempotency_key', name=op.f('uq_ingest_batches_entry_id_idempotency_key'))
    )
    with op.batch_alter_table('ingest_batches', schema=None) as batch_op:
        batch_op.create_index('ix_ingest_batches_entry_started', ['entry_id', 'started_at'], unique=False)

    op.create_table('return_flow_connectors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=1000), nullable=False),
    sa.Column('auth_header', sa.String(length=1000), nullable=False),
    sa.Column('data_format', sa.String(length=8), nullable=False),
    sa.Column('paging', sa.String(length=8), nullable=False),
    sa.Column('page_size', sa.Integer(), nullable=False),
    sa.Column('records_path', sa.String(length=64), nullable=False),
    sa.Column('cursor_path', sa.String(length=64), nullable=False),
    sa.Column('field_mapping', sa.Text(), nullable=False),
    sa.Column('since_param', sa.String(length=64), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('backoff_seconds', sa.Float(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('last_run_at', sa.DateTime(), nullable=True),
    sa.Column('last_success_at', sa.DateTime(), nullable=True),
    sa.Column('last_since', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('next_run_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['catalog_entries.id'], name=op.f('fk_return_flow_connectors_entry_id_catalog_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_return_flow_connectors_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_return_flow_connectors')),
    sa.UniqueConstraint('entry_id', name=op.f('uq_return_flow_connectors_entry_id'))
    )
    op.create_table('ingest_rejects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['ingest_batches.id'], name=op.f('fk_ingest_rejects_batch_id_ingest_batches'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ingest_rejects'))
    )
    with op.batch_alter_table('ingest_rejects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ingest_rejects_batch_id'), ['batch_id'], unique=False)

    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table('ingest_rejects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ingest_rejects_batch_id'))

    op.drop_table('ingest_rejects')
    op.drop_table('return_flow_connectors')
    with op.batch_alter_table('ingest_batches', schema=None) as batch_op:
        batch_op.drop_index('ix_ingest_batches_entry_started')

    op.drop_table('ingest_batches')
    op.drop_table('datastore_tables')
    # ### end Alembic commands ###
