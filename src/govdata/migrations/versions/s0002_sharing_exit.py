"""sharing: fields given in clear by the provider's opinion, and a per-grant row limit (第十二、十三、十七条)

Revision ID: s0002
Revises: s0001

Grants and opinions that exist already were given when everything shared left in clear: they keep that
(their fields stay in clear) until renewed; new opinions choose field by field.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 's0002'
down_revision = 's0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('share_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('clear_fields', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('row_limit', sa.Integer(), nullable=True))
    with op.batch_alter_table('share_grants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('clear_fields', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('row_limit', sa.Integer(), nullable=False, server_default='20'))
    requests = sa.table('share_requests', sa.column('fields', sa.Text), sa.column('clear_fields', sa.Text),
                        sa.column('opinion_at', sa.DateTime))
    grants = sa.table('share_grants', sa.column('fields', sa.Text), sa.column('clear_fields', sa.Text))
    op.execute(requests.update().where(requests.c.opinion_at.isnot(None)).values(clear_fields=requests.c.fields))
    op.execute(grants.update().values(clear_fields=grants.c.fields))


def downgrade() -> None:
    with op.batch_alter_table('share_grants', schema=None) as batch_op:
        batch_op.drop_column('row_limit')
        batch_op.drop_column('clear_fields')
    with op.batch_alter_table('share_requests', schema=None) as batch_op:
        batch_op.drop_column('row_limit')
        batch_op.drop_column('clear_fields')
