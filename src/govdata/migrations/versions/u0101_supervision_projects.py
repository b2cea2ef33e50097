"""supervision: IT projects, their declared data assets and acceptance checks (第六、二十八条)

Revision ID: u0101
Revises:
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'u0101'
down_revision = None
branch_labels = ('supervision_projects',)
depends_on = ('f0003', 'c0004', 'd0001')


def upgrade() -> None:
    op.create_table('supervision_projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('budget', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('funds', sa.String(length=16), nullable=False),
    sa.Column('last_check_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_supervision_projects_region_id_regions')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_supervision_projects_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_projects')),
    sa.UniqueConstraint('unit_id', 'name', name=op.f('uq_supervision_projects_unit_id_name'))
    )
    with op.batch_alter_table('supervision_projects', schema=None) as batch_op:
        batch_op.create_index('ix_supervision_projects_region', ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_projects_unit_id'), ['unit_id'], unique=False)

    op.create_table('supervision_project_assets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('update_cycle', sa.String(length=16), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('declared_by', sa.String(length=100), nullable=False),
    sa.Column('declared_at', sa.DateTime(), nullable=False),
    sa.Column('linked_by', sa.String(length=100), nullable=True),
    sa.Column('linked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['entry_id'], ['catalog_entries.id'],
                            name=op.f('fk_supervision_project_assets_entry_id_catalog_entries')),
    sa.ForeignKeyConstraint(['project_id'], ['supervision_projects.id'],
                            name=op.f('fk_supervision_project_assets_project_id_supervision_projects')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_supervision_project_assets_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_project_assets')),
    sa.UniqueConstraint('project_id', 'name', name=op.f('uq_supervision_project_assets_project_id_name'))
    )
    with op.batch_alter_table('supervision_project_assets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_project_assets_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supervision_project_assets_project_id'), ['project_id'], unique=False)

    op.create_table('supervision_project_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('checked_at', sa.DateTime(), nullable=False),
    sa.Column('checked_by', sa.String(length=100), nullable=False),
    sa.Column('checked_role', sa.String(length=32), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('assets', sa.Integer(), nullable=False),
    sa.Column('missing', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['supervision_projects.id'],
                            name=op.f('fk_supervision_project_checks_project_id_supervision_projects')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_supervision_project_checks_region_id_regions')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_supervision_project_checks_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_project_checks'))
    )
    with op.batch_alter_table('supervision_project_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_project_checks_project_id'), ['project_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('supervision_project_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_project_checks_project_id'))
    op.drop_table('supervision_project_checks')
    with op.batch_alter_table('supervision_project_assets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_project_assets_project_id'))
        batch_op.drop_index(batch_op.f('ix_supervision_project_assets_entry_id'))
    op.drop_table('supervision_project_assets')
    with op.batch_alter_table('supervision_projects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_projects_unit_id'))
        batch_op.drop_index('ix_supervision_projects_region')
    op.drop_table('supervision_projects')
