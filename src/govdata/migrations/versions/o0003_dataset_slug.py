"""opendata: each dataset's CKAN name (the resource code as a slug) stored and indexed

Revision ID: o0003
Revises: o0002
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'o0003'
down_revision = 'o0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('open_datasets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('slug', sa.String(length=64), server_default='', nullable=False))
        batch_op.create_index(batch_op.f('ix_open_datasets_slug'), ['slug'], unique=False)
    datasets = sa.table('open_datasets', sa.column('entry_id', sa.Integer), sa.column('slug', sa.String))
    entries = sa.table('catalog_entries', sa.column('id', sa.Integer), sa.column('code', sa.String))
    code = (sa.select(entries.c.code).where(entries.c.id == datasets.c.entry_id).scalar_subquery())
    op.get_bind().execute(datasets.update().values(slug=sa.func.lower(sa.func.replace(sa.func.coalesce(code, ''),
                                                                                      '/', '-'))))


def downgrade() -> None:
    with op.batch_alter_table('open_datasets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_open_datasets_slug'))
        batch_op.drop_column('slug')
