"""supervision: return-flow applications of entries whose data comes from upper-level systems (第九条)

Revision ID: u0201
Revises: 
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'u0201'
down_revision = None
branch_labels = ('supervision_returnflow',)
depends_on = ('c0001', 'd0001', 'u0001')


def upgrade() -> None:
    op.create_table('return_flow_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('upper_level', sa.String(length=12), nullable=False),
    sa.Column('upper_body', sa.String(length=200), nullable=False),
    sa.Column('interface', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('applied_on', sa.Date(), nullable=True),
    sa.Column('answered_on', sa.Date(), nullable=True),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('connector_id', sa.Integer(), nullable=True),
    sa.Column('linked_at', sa.DateTime(), nullable=True),
    sa.Column('created_by', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=128), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['connector_id'], ['return_flow_connectors.id'],
                            name=op.f('fk_return_flow_applications_connector_id_return_flow_connectors')),
    sa.ForeignKeyConstraint(['entry_id'], ['catalog_entries.id'],
                            name=op.f('fk_return_flow_applications_entry_id_catalog_entries')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_return_flow_applications_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_return_flow_applications')),
    sa.UniqueConstraint('entry_id', name=op.f('uq_return_flow_applications_entry_id'))
    )
    with op.batch_alter_table('return_flow_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_return_flow_applications_unit_id'), ['unit_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('return_flow_applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_return_flow_applications_unit_id'))
    op.drop_table('return_flow_applications')
