"""the organization's revision in shards, not one row every write updates

Every audited change used to add one to organization.revision, so on PostgreSQL each write
of an organization held that row's lock until it committed and every other write queued
behind it. The revision is now the sum of org_revision rows, one per (organization, shard);
a change bumps the shard its entity falls in (docs/architecture.md, "No hot row"). Existing
revisions move into shard 0, so no page's ETag goes back.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 11:00:00.000000
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401


revision: str = '0003'
down_revision: Union[str, None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'org_revision',
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('shard', sa.Integer(), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['organization_id'], ['organization.id']),
        sa.PrimaryKeyConstraint('organization_id', 'shard'),
    )
    op.execute("INSERT INTO org_revision (organization_id, shard, value) "
               "SELECT id, 0, revision FROM organization WHERE revision > 0")
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.drop_column('revision')


def downgrade() -> None:
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), nullable=False, server_default='0'))
    op.execute("UPDATE organization SET revision = COALESCE((SELECT SUM(value) FROM org_revision "
               "WHERE org_revision.organization_id = organization.id), 0)")
    op.drop_table('org_revision')
