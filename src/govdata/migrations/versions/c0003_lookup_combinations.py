"""catalog: named lookup combinations of non-unique lookup fields (第十三条)

Revision ID: c0003
Revises: c0002
"""
from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

# A name or an address names no one alone: such fields stop being lookup fields of their own (they can be named
# in a combination instead). Done for stored fields and for edits not yet registered, which are validated so.
NOT_UNIQUE = ('name', 'address')

revision = 'c0003'
down_revision = 'c0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('catalog_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lookup_combinations', sa.Text(), nullable=False, server_default=''))
    conn = op.get_bind()
    fields = sa.table('catalog_fields', sa.column('is_lookup', sa.Boolean), sa.column('is_key', sa.Boolean),
                      sa.column('masking_rule', sa.String))
    conn.execute(fields.update().where(fields.c.masking_rule.in_(NOT_UNIQUE), fields.c.is_key.is_(False))
                 .values(is_lookup=False))
    entries = sa.table('catalog_entries', sa.column('id', sa.Integer), sa.column('pending_change', sa.Text))
    for entry_id, text in conn.execute(sa.select(entries.c.id, entries.c.pending_change)
                                       .where(entries.c.pending_change.isnot(None))).all():
        change = json.loads(text)
        for item in change.get('fields', []):
            if item.get('masking_rule') in NOT_UNIQUE and not item.get('is_key'):
                item['is_lookup'] = False
        conn.execute(entries.update().where(entries.c.id == entry_id).values(pending_change=json.dumps(change)))


def downgrade() -> None:
    with op.batch_alter_table('catalog_entries', schema=None) as batch_op:
        batch_op.drop_column('lookup_combinations')
