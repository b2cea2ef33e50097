"""quality

Revision ID: q0001
Revises: 
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'q0001'
down_revision = None
branch_labels = ('quality',)
depends_on = 'c0001'


def upgrade() -> None:
    op.create_table('quality_code_tables',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('standard', sa.String(length=64), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_code_tables')),
    sa.UniqueConstraint('code', name=op.f('uq_quality_code_tables_code'))
    )
    op.create_table('quality_code_values',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('table_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['table_id'], ['quality_code_tables.id'], name=op.f('fk_quality_code_values_table_id_quality_code_tables'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_code_values')),
    sa.UniqueConstraint('table_id', 'value', name=op.f('uq_quality_code_values_table_id_value'))
    )
    with op.batch_alter_table('quality_code_values', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quality_code_values_table_id'), ['table_id'], unique=False)

    op.create_table('quality_comparisons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('left_entry_id', sa.Integer(), nullable=False),
    sa.Column('right_entry_id', sa.Integer(), nullable=False),
    sa.Column('key_pairs', sa.Text(), nullable=False),
    sa.Column('field_pairs', sa.Text(), nullable=False),
    sa.Column('threshold', sa.Float(), nullable=False),
    sa.Column('is_scheduled', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['left_entry_id'], ['catalog_entries.id'], name=op.f('fk_quality_comparisons_left_entry_id_catalog_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['right_entry_id'], ['catalog_entries.id'], name=op.f('fk_quality_comparisons_right_entry_id_catalog_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_quality_comparisons_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_comparisons'))
    )
    op.create_table('quality_corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('record_key', sa.Text(), nullable=False),
    sa.Column('field', sa.String(length=64), nullable=False),
    sa.Column('value_seen', sa.Text(), nullable=False),
    sa.Column('value_proposed', sa.Text(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=12), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=True),
    sa.Column('reporter_kind', sa.String(length=12), nullable=False),
    sa.Column('reporter_user_id', sa.Integer(), nullable=True),
    sa.Column('reporter_system_id', sa.Integer(), nullable=True),
    sa.Column('reporter_unit_id', sa.Integer(), nullable=True),
    sa.Column('reporter_name', sa.String(length=128), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('reminded_on', sa.Date(), nullable=True),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('value_fixed', sa.Text(), nullable=True),
    sa.Column('answered_by', sa.String(length=128), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['catalog_entries.id'], name=op.f('fk_quality_corrections_entry_id_catalog_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reporter_system_id'], ['systems.id'], name=op.f('fk_quality_corrections_reporter_system_id_systems')),
    sa.ForeignKeyConstraint(['reporter_unit_id'], ['units.id'], name=op.f('fk_quality_corrections_reporter_unit_id_units')),
    sa.ForeignKeyConstraint(['reporter_user_id'], ['users.id'], name=op.f('fk_quality_corrections_reporter_user_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_quality_corrections_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_corrections'))
    )
    with op.batch_alter_table('quality_corrections', schema=None) as batch_op:
        batch_op.create_index('ix_quality_corrections_dedupe', ['dedupe_key'], unique=False)
        batch_op.create_index('ix_quality_corrections_unit_status', ['unit_id', 'status'], unique=False)

    op.create_table('quality_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('rows_checked', sa.Integer(), nullable=False),
    sa.Column('rows_rejected', sa.Integer(), nullable=False),
    sa.Column('completeness', sa.Float(), nullable=False),
    sa.Column('validity', sa.Float(), nullable=False),
    sa.Column('uniqueness', sa.Float(), nullable=False),
    sa.Column('consistency', sa.Float(), nullable=False),
    sa.Column('timeliness', sa.Float(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('results', sa.Text(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['catalog_entries.id'], name=op.f('fk_quality_reports_entry_id_catalog_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_quality_reports_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_reports'))
    )
    with op.batch_alter_table('quality_reports', schema=None) as batch_op:
        batch_op.create_index('ix_quality_reports_entry_at', ['entry_id', 'created_at'], unique=False)
        batch_op.create_index('ix_quality_reports_unit_at', ['unit_id', 'created_at'], unique=False)

    op.create_table('quality_comparison_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('comparison_id', sa.Integer(), nullable=False),
    sa.Column('left_rows', sa.Integer(), nullable=False),
    sa.Column('right_rows', sa.Integer(), nullable=False),
    sa.Column('matched', sa.Integer(), nullable=False),
    sa.Column('equal', sa.Integer(), nullable=False),
    sa.Column('only_left', sa.Integer(), nullable=False),
    sa.Column('only_right', sa.Integer(), nullable=False),
    sa.Column('field_diffs', sa.Text(), nullable=False),
    sa.Column('ratio', sa.Float(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('kept', sa.Integer(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['comparison_id'], ['quality_comparisons.id'], name=op.f('fk_quality_comparison_runs_comparison_id_quality_comparisons'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_comparison_runs'))
    )
    with op.batch_alter_table('quality_comparison_runs', schema=None) as batch_op:
        batch_op.create_index('ix_quality_comparison_runs_cmp', ['comparison_id', 'id'], unique=False)

    op.create_table('quality_comparison_diffs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('record_key', sa.String(length=400), nullable=False),
    sa.Column('field', sa.String(length=64), nullable=False),
    sa.Column('left_value', sa.Text(), nullable=True),
    sa.Column('right_value', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['quality_comparison_runs.id'], name=op.f('fk_quality_comparison_diffs_run_id_quality_comparison_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_comparison_diffs'))
    )
    with op.batch_alter_table('quality_comparison_diffs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quality_comparison_diffs_run_id'), ['run_id'], unique=False)

    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table('quality_comparison_diffs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quality_comparison_diffs_run_id'))

    op.drop_table('quality_comparison_diffs')
    with op.batch_alter_table('quality_comparison_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_quality_comparison_runs_cmp')

    op.drop_table('quality_comparison_runs')
    with op.batch_alter_table('quality_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_quality_reports_unit_at')
        batch_op.drop_index('ix_quality_reports_entry_at')

    op.drop_table('quality_reports')
    with op.batch_alter_table('quality_corrections', schema=None) as batch_op:
        batch_op.drop_index('ix_quality_corrections_unit_status')
        batch_op.drop_index('ix_quality_corrections_dedupe')

    op.drop_table('quality_corrections')
    op.drop_table('quality_comparisons')
    with op.batch_alter_table('quality_code_values', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quality_code_values_table_id'))

    op.drop_table('quality_code_values')
    op.drop_table('quality_code_tables')
    # ### end Alembic commands ###
