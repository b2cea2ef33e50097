"""opendata: authorised opening (applicants, applications, open conditions), public demands and commercial
licences from competitive selections with their revenue (第十七至二十条)

Revision ID: o0002
Revises: o0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'o0002'
down_revision = 'o0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('open_applicants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('is_domestic', sa.Boolean(), nullable=False),
    sa.Column('contact', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_open_applicants_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open_applicants')),
    sa.UniqueConstraint('user_id', name=op.f('uq_open_applicants_user_id'))
    )
    with op.batch_alter_table('open_applicants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_open_applicants_credit_code'), ['credit_code'], unique=False)

    op.create_table('open_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('applicant_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('org_kind', sa.String(length=16), nullable=False),
    sa.Column('org_name', sa.String(length=200), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('fields_asked', sa.Text(), nullable=False),
    sa.Column('purpose_category', sa.String(length=16), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('opinion', sa.Text(), nullable=False),
    sa.Column('opinion_by', sa.String(length=128), nullable=False),
    sa.Column('opinion_at', sa.DateTime(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by', sa.String(length=128), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('fields_granted', sa.Text(), nullable=False),
    sa.Column('granted_from', sa.Date(), nullable=True),
    sa.Column('granted_until', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['applicant_id'], ['open_applicants.id'], name=op.f('fk_open_applications_applicant_id_open_applicants')),
    sa.ForeignKeyConstraint(['dataset_id'], ['open_datasets.id'], name=op.f('fk_open_applications_dataset_id_open_datasets')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_open_applications_unit_id_units')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_open_applications_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open_applications'))
    )
    with op.batch_alter_table('open_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_open_applications_dataset_id'), ['dataset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_open_applications_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_open_applications_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index('ix_open_applications_user_status', ['user_id', 'status'], unique=False)

    op.create_table('open_demands',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('filed_at', sa.DateTime(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('open_by', sa.Date(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('answered_by', sa.String(length=128), nullable=False),
    sa.Column('is_late', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['open_datasets.id'], name=op.f('fk_open_demands_dataset_id_open_datasets')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_open_demands_unit_id_units')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_open_demands_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open_demands'))
    )
    with op.batch_alter_table('open_demands', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_open_demands_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_open_demands_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_open_demands_user_id'), ['user_id'], unique=False)

    op.create_table('open_selections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('tender_no', sa.String(length=64), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('winner_name', sa.String(length=200), nullable=False),
    sa.Column('winner_credit_code', sa.String(length=18), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_by', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['open_datasets.id'], name=op.f('fk_open_selections_dataset_id_open_datasets')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_open_selections_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open_selections')),
    sa.UniqueConstraint('tender_no', name=op.f('uq_open_selections_tender_no'))
    )
    with op.batch_alter_table('open_selections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_open_selections_dataset_id'), ['dataset_id'], unique=False)

    op.create_table('open_licences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('selection_id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('licensee_name', sa.String(length=200), nullable=False),
    sa.Column('licensee_credit_code', sa.String(length=18), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['open_datasets.id'], name=op.f('fk_open_licences_dataset_id_open_datasets')),
    sa.ForeignKeyConstraint(['selection_id'], ['open_selections.id'], name=op.f('fk_open_licences_selection_id_open_selections')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_open_licences_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open_licences')),
    sa.UniqueConstraint('selection_id', name=op.f('uq_open_licences_selection_id'))
    )
    with op.batch_alter_table('open_licences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_open_licences_dataset_id'), ['dataset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_open_licences_ends_on'), ['ends_on'], unique=False)

    op.create_table('open_licence_revenues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('licence_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('receipt_no', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_by', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['licence_id'], ['open_licences.id'], name=op.f('fk_open_licence_revenues_licence_id_open_licences')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open_licence_revenues')),
    sa.UniqueConstraint('receipt_no', name=op.f('uq_open_licence_revenues_receipt_no'))
    )
    with op.batch_alter_table('open_licence_revenues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_open_licence_revenues_licence_id'), ['licence_id'], unique=False)

    with op.batch_alter_table('open_datasets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('conditions', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('conditions_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('open_licence_revenues', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_open_licence_revenues_licence_id'))

    op.drop_table('open_licence_revenues')
    with op.batch_alter_table('open_licences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_open_licences_ends_on'))
        batch_op.drop_index(batch_op.f('ix_open_licences_dataset_id'))

    op.drop_table('open_licences')
    with op.batch_alter_table('open_selections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_open_selections_dataset_id'))

    op.drop_table('open_selections')

    with op.batch_alter_table('open_datasets', schema=None) as batch_op:
        batch_op.drop_column('conditions_at')
        batch_op.drop_column('conditions')

    with op.batch_alter_table('open_demands', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_open_demands_user_id'))
        batch_op.drop_index(batch_op.f('ix_open_demands_unit_id'))
        batch_op.drop_index(batch_op.f('ix_open_demands_status'))

    op.drop_table('open_demands')
    with op.batch_alter_table('open_applications', schema=None) as batch_op:
        batch_op.drop_index('ix_open_applications_user_status')
        batch_op.drop_index(batch_op.f('ix_open_applications_unit_id'))
        batch_op.drop_index(batch_op.f('ix_open_applications_status'))
        batch_op.drop_index(batch_op.f('ix_open_applications_dataset_id'))

    op.drop_table('open_applications')
    with op.batch_alter_table('open_applicants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_open_applicants_credit_code'))

    op.drop_table('open_applicants')
