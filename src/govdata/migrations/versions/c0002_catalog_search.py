"""catalog search

Revision ID: c0002
Revises: c0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'c0002'
down_revision = 'c0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('catalog_code_seq',
    sa.Column('category_code', sa.String(length=32), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('category_code', name=op.f('pk_catalog_code_seq'))
    )
    op.create_table('catalog_search',
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['catalog_entries.id'], name=op.f('fk_catalog_search_entry_id_catalog_entries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('entry_id', name=op.f('pk_catalog_search'))
    )
    with op.batch_alter_table('catalog_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending_change', sa.Text(), nullable=True))

    # Full-text index over the jieba-segmented words (space-separated, so each word is one token).
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE catalog_fts USING fts5(body, content='catalog_search', "
                   "content_rowid='entry_id')")
        op.execute("CREATE TRIGGER catalog_fts_ai AFTER INSERT ON catalog_search BEGIN "
                   "INSERT INTO catalog_fts(rowid, body) VALUES (new.entry_id, new.body); END")
        op.execute("CREATE TRIGGER catalog_fts_ad AFTER DELETE ON catalog_search BEGIN "
                   "INSERT INTO catalog_fts(catalog_fts, rowid, body) VALUES ('delete', old.entry_id, old.body); END")
        op.execute("CREATE TRIGGER catalog_fts_au AFTER UPDATE ON catalog_search BEGIN "
                   "INSERT INTO catalog_fts(catalog_fts, rowid, body) VALUES ('delete', old.entry_id, old.body); "
                   "INSERT INTO catalog_fts(rowid, body) VALUES (new.entry_id, new.body); END")
    else:
        op.execute("CREATE INDEX ix_catalog_search_tsv ON catalog_search USING gin (to_tsvector('simple'::regconfig, body))")



def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("catalog_fts_ai", "catalog_fts_ad", "catalog_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS catalog_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_catalog_search_tsv")
    with op.batch_alter_table('catalog_entries', schema=None) as batch_op:
        batch_op.drop_column('pending_change')

    op.drop_table('catalog_search')
    op.drop_table('catalog_code_seq')
