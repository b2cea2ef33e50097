"""security: the incident register, units' risk assessments, security tests and drills with their follow-ups,
and the 等保 expiry announcements already sent (第二十一、二十二、二十五条)

Revision ID: x0301
Revises: 
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'x0301'
down_revision = None
branch_labels = ('security_incidents',)
depends_on = ['f0003', 'c0004']


def upgrade() -> None:
    op.create_table('security_incidents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('severity', sa.String(length=20), nullable=False),
    sa.Column('found_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('source_kind', sa.String(length=16), nullable=False),
    sa.Column('source_id', sa.String(length=64), nullable=True),
    sa.Column('reported_by', sa.String(length=128), nullable=False),
    sa.Column('reported_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_by', sa.String(length=128), nullable=False),
    sa.Column('cause', sa.Text(), nullable=False),
    sa.Column('lessons', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_security_incidents'))
    )
    with op.batch_alter_table('security_incidents', schema=None) as batch_op:
        batch_op.create_index('ix_security_incidents_status_severity', ['status', 'severity'], unique=False)

    op.create_table('security_incident_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('performed_by', sa.String(length=128), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.String(length=128), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['security_incidents.id'], name=op.f('fk_security_incident_actions_incident_id_security_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_security_incident_actions'))
    )
    with op.batch_alter_table('security_incident_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_security_incident_actions_incident_id'), ['incident_id'], unique=False)

    op.create_table('security_exercises',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('planned_by', sa.String(length=128), nullable=False),
    sa.Column('planned_at', sa.DateTime(), nullable=False),
    sa.Column('completed_by', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_security_exercises_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_security_exercises'))
    )
    with op.batch_alter_table('security_exercises', schema=None) as batch_op:
        batch_op.create_index('ix_security_exercises_open_due', ['done_on', 'due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_security_exercises_unit_id'), ['unit_id'], unique=False)

    op.create_table('security_incident_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['security_incidents.id'], name=op.f('fk_security_incident_units_incident_id_security_incidents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_security_incident_units_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_security_incident_units'))
    )
    with op.batch_alter_table('security_incident_units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_security_incident_units_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_security_incident_units_unit_id'), ['unit_id'], unique=False)

    op.create_table('security_dengbao_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('system_id', sa.Integer(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['system_id'], ['systems.id'], name=op.f('fk_security_dengbao_notices_system_id_systems')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_security_dengbao_notices')),
    sa.UniqueConstraint('system_id', 'valid_until', 'kind', name='uq_security_dengbao_notice')
    )
    op.create_table('security_follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exercise_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner', sa.String(length=128), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('recorded_by', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['exercise_id'], ['security_exercises.id'], name=op.f('fk_security_follow_ups_exercise_id_security_exercises'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_security_follow_ups_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_security_follow_ups'))
    )
    with op.batch_alter_table('security_follow_ups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_security_follow_ups_exercise_id'), ['exercise_id'], unique=False)
        batch_op.create_index('ix_security_follow_ups_open_due', ['done_on', 'due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_security_follow_ups_unit_id'), ['unit_id'], unique=False)

    op.create_table('security_incident_resources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['catalog_entries.id'], name=op.f('fk_security_incident_resources_entry_id_catalog_entries')),
    sa.ForeignKeyConstraint(['incident_id'], ['security_incidents.id'], name=op.f('fk_security_incident_resources_incident_id_security_incidents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_security_incident_resources'))
    )
    with op.batch_alter_table('security_incident_resources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_security_incident_resources_incident_id'), ['incident_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('security_incident_resources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_security_incident_resources_incident_id'))

    op.drop_table('security_incident_resources')
    with op.batch_alter_table('security_follow_ups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_security_follow_ups_unit_id'))
        batch_op.drop_index('ix_security_follow_ups_open_due')
        batch_op.drop_index(batch_op.f('ix_security_follow_ups_exercise_id'))

    op.drop_table('security_follow_ups')
    op.drop_table('security_dengbao_notices')
    with op.batch_alter_table('security_incident_units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_security_incident_units_unit_id'))
        batch_op.drop_index(batch_op.f('ix_security_incident_units_incident_id'))

    op.drop_table('security_incident_units')
    with op.batch_alter_table('security_exercises', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_security_exercises_unit_id'))
        batch_op.drop_index('ix_security_exercises_open_due')

    op.drop_table('security_exercises')
    with op.batch_alter_table('security_incident_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_security_incident_actions_incident_id'))

    op.drop_table('security_incident_actions')
    with op.batch_alter_table('security_incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_security_incidents_status_severity')

    op.drop_table('security_incidents')
