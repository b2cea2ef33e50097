"""datastore: each batch keeps the header of the file it was loaded from (its rejected-row report uses it)

Revision ID: d0002
Revises: d0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'd0002'
down_revision = 'd0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ingest_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('headers', sa.Text(), server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('ingest_batches', schema=None) as batch_op:
        batch_op.drop_column('headers')
