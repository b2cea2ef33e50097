"""sharing

Revision ID: s0001
Revises: 
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 's0001'
down_revision = None
branch_labels = ('sharing',)
depends_on = 'c0001'


def upgrade() -> None:
    op.create_table('share_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('resource_code', sa.String(length=64), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('provider_unit_id', sa.Integer(), nullable=False),
    sa.Column('system_id', sa.Integer(), nullable=False),
    sa.Column('share_type', sa.String(length=16), nullable=False),
    sa.Column('fields', sa.Text(), nullable=False),
    sa.Column('duty', sa.Text(), nullable=False),
    sa.Column('legal_basis', sa.Text(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('daily_volume', sa.Integer(), nullable=False),
    sa.Column('renewal_of_grant_id', sa.Integer(), nullable=True),
    sa.Column('review_region_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('submitted_by', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('due_estimated', sa.Boolean(), nullable=False),
    sa.Column('last_reminded_on', sa.Date(), nullable=True),
    sa.Column('opinion_agree', sa.Boolean(), nullable=True),
    sa.Column('opinion', sa.Text(), nullable=False),
    sa.Column('opinion_by', sa.String(length=128), nullable=False),
    sa.Column('opinion_at', sa.DateTime(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.Column('decided_by', sa.String(length=128), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('approved_fields', sa.Text(), nullable=False),
    sa.Column('approved_until', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['entry_id'], ['catalog_entries.id'], name=op.f('fk_share_requests_entry_id_catalog_entries')),
    sa.ForeignKeyConstraint(['provider_unit_id'], ['units.id'], name=op.f('fk_share_requests_provider_unit_id_units')),
    sa.ForeignKeyConstraint(['review_region_id'], ['regions.id'], name=op.f('fk_share_requests_review_region_id_regions')),
    sa.ForeignKeyConstraint(['submitted_by'], ['users.id'], name=op.f('fk_share_requests_submitted_by_users')),
    sa.ForeignKeyConstraint(['system_id'], ['systems.id'], name=op.f('fk_share_requests_system_id_systems')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_share_requests_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_requests'))
    )
    with op.batch_alter_table('share_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_share_requests_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_share_requests_provider_unit_id'), ['provider_unit_id'], unique=False)
        batch_op.create_index('ix_share_requests_status_due', ['status', 'due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_share_requests_unit_id'), ['unit_id'], unique=False)

    op.create_table('share_agreements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('provider_unit_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('consumer_accepted_by', sa.String(length=128), nullable=False),
    sa.Column('consumer_accepted_at', sa.DateTime(), nullable=True),
    sa.Column('provider_accepted_by', sa.String(length=128), nullable=False),
    sa.Column('provider_accepted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['provider_unit_id'], ['units.id'], name=op.f('fk_share_agreements_provider_unit_id_units')),
    sa.ForeignKeyConstraint(['request_id'], ['share_requests.id'], name=op.f('fk_share_agreements_request_id_share_requests')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_share_agreements_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_agreements')),
    sa.UniqueConstraint('request_id', name=op.f('uq_share_agreements_request_id'))
    )
    op.create_table('share_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('resource_code', sa.String(length=64), nullable=False),
    sa.Column('system_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('provider_unit_id', sa.Integer(), nullable=False),
    sa.Column('fields', sa.Text(), nullable=False),
    sa.Column('key_fields', sa.Text(), nullable=False),
    sa.Column('daily_quota', sa.Integer(), nullable=False),
    sa.Column('per_minute', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('approver', sa.String(length=128), nullable=False),
    sa.Column('agreement_hash', sa.String(length=64), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=False),
    sa.Column('activated_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['share_agreements.id'], name=op.f('fk_share_grants_agreement_id_share_agreements')),
    sa.ForeignKeyConstraint(['entry_id'], ['catalog_entries.id'], name=op.f('fk_share_grants_entry_id_catalog_entries')),
    sa.ForeignKeyConstraint(['provider_unit_id'], ['units.id'], name=op.f('fk_share_grants_provider_unit_id_units')),
    sa.ForeignKeyConstraint(['request_id'], ['share_requests.id'], name=op.f('fk_share_grants_request_id_share_requests')),
    sa.ForeignKeyConstraint(['system_id'], ['systems.id'], name=op.f('fk_share_grants_system_id_systems')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_share_grants_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_grants')),
    sa.UniqueConstraint('request_id', name=op.f('uq_share_grants_request_id'))
    )
    with op.batch_alter_table('share_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_share_grants_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_share_grants_provider_unit_id'), ['provider_unit_id'], unique=False)
        batch_op.create_index('ix_share_grants_system_code', ['system_id', 'resource_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_share_grants_unit_id'), ['unit_id'], unique=False)

    op.create_table('share_grant_usage',
    sa.Column('grant_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('calls', sa.Integer(), nullable=False),
    sa.Column('minute', sa.Integer(), nullable=False),
    sa.Column('minute_calls', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['grant_id'], ['share_grants.id'], name=op.f('fk_share_grant_usage_grant_id_share_grants')),
    sa.PrimaryKeyConstraint('grant_id', 'day', name=op.f('pk_share_grant_usage'))
    )


def downgrade() -> None:
    op.drop_table('share_grant_usage')
    with op.batch_alter_table('share_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_grants_unit_id'))
        batch_op.drop_index('ix_share_grants_system_code')
        batch_op.drop_index(batch_op.f('ix_share_grants_provider_unit_id'))
        batch_op.drop_index(batch_op.f('ix_share_grants_entry_id'))

    op.drop_table('share_grants')
    op.drop_table('share_agreements')
    with op.batch_alter_table('share_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_requests_unit_id'))
        batch_op.drop_index('ix_share_requests_status_due')
        batch_op.drop_index(batch_op.f('ix_share_requests_provider_unit_id'))
        batch_op.drop_index(batch_op.f('ix_share_requests_entry_id'))

    op.drop_table('share_requests')
