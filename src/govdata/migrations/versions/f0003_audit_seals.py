"""audit: signed seals of the chain and purge checkpoints

Revision ID: f0003
Revises: f0002

A seal records an event's seq and chain hash, signed with the installation's Ed25519 key, so that a trail
rewritten and re-hashed (or cut at its end) by someone holding only the database no longer verifies.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'f0003'
down_revision = 'f0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_seals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('sealed_at', sa.DateTime(), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_seals'))
    )
    op.create_index('ix_audit_seals_seq', 'audit_seals', ['seq'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_audit_seals_seq', table_name='audit_seals')
    op.drop_table('audit_seals')
