"""single sign-on: identity providers, subject links, roles that must use SSO, and the
provider (and ID token) of a session started by SSO

Revision ID: 0028
Revises: 0023
Create Date: 2026-12-03 18:36:04.636413

"""
from alembic import op
import sqlalchemy as sa

import supportdesk.timeutil  # noqa: F401  (UTCDateTime columns)


revision = '0028'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('identity_providers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('issuer', sa.String(length=255), nullable=False),
    sa.Column('client_id', sa.String(length=255), nullable=False),
    sa.Column('client_secret', sa.String(length=255), nullable=False),
    sa.Column('scopes', sa.String(length=255), nullable=False),
    sa.Column('email_claim', sa.String(length=64), nullable=False),
    sa.Column('name_claim', sa.String(length=64), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('create_users', sa.Boolean(), nullable=False),
    sa.Column('role_claim', sa.String(length=64), nullable=True),
    sa.Column('created_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipalities.id'], name=op.f('fk_identity_providers_municipality_id_municipalities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_identity_providers')),
    sa.UniqueConstraint('municipality_id', name=op.f('uq_identity_providers_municipality_id'))
    )
    op.create_table('sso_identities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['provider_id'], ['identity_providers.id'], name=op.f('fk_sso_identities_provider_id_identity_providers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sso_identities_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_identities')),
    sa.UniqueConstraint('provider_id', 'subject', name='uq_sso_identities_provider_subject'),
    sa.UniqueConstraint('provider_id', 'user_id', name='uq_sso_identities_provider_user')
    )
    with op.batch_alter_table('sso_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sso_identities_user_id'), ['user_id'], unique=False)

    op.create_table('sso_required_roles',
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('set_at', supportdesk.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("role IN ('municipal_staff', 'liaison', 'expert', 'manager', 'admin')", name=op.f('ck_sso_required_roles_role')),
    sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_sso_required_roles_set_by_id_users')),
    sa.PrimaryKeyConstraint('role', name=op.f('pk_sso_required_roles'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sso_provider_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('sso_id_token', sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_user_sessions_sso_provider_id_identity_providers'), 'identity_providers', ['sso_provider_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_user_sessions_sso_provider_id_identity_providers'), type_='foreignkey')
        batch_op.drop_column('sso_id_token')
        batch_op.drop_column('sso_provider_id')

    op.drop_table('sso_required_roles')
    with op.batch_alter_table('sso_identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sso_identities_user_id'))

    op.drop_table('sso_identities')
    op.drop_table('identity_providers')
