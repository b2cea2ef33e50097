"""auth: 等保 三级 sign-in — password history and expiry, idle sessions, the TOTP second factor

Revision ID: f0004
Revises: f0003

Existing accounts keep their passwords (the rules apply to the next new or changed one) and start without
a second factor; existing sessions count as used when the migration ran.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'f0004'
down_revision = 'f0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_expires', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=160), nullable=True))
        batch_op.add_column(sa.Column('totp_enabled_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                                      nullable=True))
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_seen_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('stage', sa.String(length=16), nullable=False, server_default=''))
    op.create_table('password_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_password_history_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_history'))
    )
    op.create_index('ix_password_history_user_id', 'password_history', ['user_id'], unique=False)
    op.create_table('totp_recovery_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_totp_recovery_codes_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_totp_recovery_codes'))
    )
    op.create_index('ix_totp_recovery_codes_user_id', 'totp_recovery_codes', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_totp_recovery_codes_user_id', table_name='totp_recovery_codes')
    op.drop_table('totp_recovery_codes')
    op.drop_index('ix_password_history_user_id', table_name='password_history')
    op.drop_table('password_history')
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_column('stage')
        batch_op.drop_column('last_seen_at')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled_at')
        batch_op.drop_column('totp_secret')
        batch_op.drop_column('password_expires')
