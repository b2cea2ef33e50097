"""opendata: the open catalog's datasets and their release history (第十六条)

Revision ID: o0001
Revises:
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'o0001'
down_revision = None
branch_labels = ('opendata',)
depends_on = 'c0001'


def upgrade() -> None:
    op.create_table('open_datasets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('topic', sa.String(length=24), nullable=False),
    sa.Column('licence', sa.String(length=24), nullable=False),
    sa.Column('terms', sa.Text(), nullable=False),
    sa.Column('open_type', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('entry_version', sa.Integer(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('view_count', sa.Integer(), nullable=False),
    sa.Column('download_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['catalog_entries.id'], name=op.f('fk_open_datasets_entry_id_catalog_entries')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_open_datasets_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open_datasets')),
    sa.UniqueConstraint('entry_id', name=op.f('uq_open_datasets_entry_id'))
    )
    with op.batch_alter_table('open_datasets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_open_datasets_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index('ix_open_datasets_status_type', ['status', 'open_type'], unique=False)

    op.create_table('open_releases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('entry_version', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('by', sa.String(length=128), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['open_datasets.id'], name=op.f('fk_open_releases_dataset_id_open_datasets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open_releases'))
    )
    with op.batch_alter_table('open_releases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_open_releases_dataset_id'), ['dataset_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('open_releases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_open_releases_dataset_id'))
    op.drop_table('open_releases')
    with op.batch_alter_table('open_datasets', schema=None) as batch_op:
        batch_op.drop_index('ix_open_datasets_status_type')
        batch_op.drop_index(batch_op.f('ix_open_datasets_unit_id'))
    op.drop_table('open_datasets')
