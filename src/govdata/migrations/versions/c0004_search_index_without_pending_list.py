"""catalog: the PostgreSQL search index takes each entry straight in (GIN fastupdate off)

With fastupdate on, new and changed entries wait in the GIN index's pending list until a vacuum merges it; a
search scans that list row by row, and the planner then prefers a sequential scan of every document (a bulk
load of 10,000 entries made the portal's search 20 times slower until autovacuum ran). Catalog writes are few
and small, so each goes into the index at once; the list left from before is merged now.

Revision ID: c0004
Revises: c0003
"""
from __future__ import annotations

from alembic import op

revision = 'c0004'
down_revision = 'c0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER INDEX ix_catalog_search_tsv SET (fastupdate = off)")
        op.execute("SELECT gin_clean_pending_list('ix_catalog_search_tsv'::regclass)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER INDEX ix_catalog_search_tsv RESET (fastupdate)")
