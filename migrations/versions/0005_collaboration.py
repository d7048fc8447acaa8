"""collaboration (issue 12): comments, attachments, watchers, notifications, several
assignees, handles, and Markdown rendered beside its source

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 18:00:00.000000
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401
import re
import unicodedata


revision: str = '0005'
down_revision: Union[str, None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # A task's one assignee becomes its first row of task_assignee (created below). Set aside
    # and the column dropped before any table refers to task: on SQLite dropping a column
    # rebuilds the table, and dropping the old one (foreign keys on) would cascade.
    op.execute("CREATE TABLE _assignee_0005 AS SELECT id AS task_id, assignee_id AS user_id, "
               "organization_id FROM task WHERE assignee_id IS NOT NULL")
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_assignee_id')
        batch_op.drop_column('assignee_id')
    op.create_table('blob',
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ),
    sa.PrimaryKeyConstraint('organization_id', 'sha256')
    )
    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('uploader_id', sa.Integer(), nullable=True),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploader_id'], ['users.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index('ix_attachment_org_sha', ['organization_id', 'sha256'], unique=False)
        batch_op.create_index('ix_attachment_org_task', ['organization_id', 'task_id'], unique=False)

    op.create_table('comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(length=10000), nullable=False),
    sa.Column('body_html', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.create_index('ix_comment_org_task', ['organization_id', 'task_id', 'id'], unique=False)

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('mailed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_mailed', ['mailed_at', 'read_at'], unique=False)
        batch_op.create_index('ix_notification_org_user_id', ['organization_id', 'user_id', 'id'], unique=False)
        batch_op.create_index('ix_notification_user_unread', ['user_id', 'read_at'], unique=False)

    op.create_table('task_assignee',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id', 'user_id')
    )
    with op.batch_alter_table('task_assignee', schema=None) as batch_op:
        batch_op.create_index('ix_task_assignee_org_user', ['organization_id', 'user_id'], unique=False)

    op.create_table('task_watcher',
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id', 'user_id')
    )
    with op.batch_alter_table('task_watcher', schema=None) as batch_op:
        batch_op.create_index('ix_task_watcher_org_user', ['organization_id', 'user_id'], unique=False)

    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description_html', sqlmodel.sql.sqltypes.AutoString(), server_default='', nullable=False))

    with op.batch_alter_table('story', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description_html', sqlmodel.sql.sqltypes.AutoString(), server_default='', nullable=False))

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description_html', sqlmodel.sql.sqltypes.AutoString(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('comment_count', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('due_soon_for', sa.Date(), nullable=True))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handle', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True))
        batch_op.add_column(sa.Column('mail_off', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('digest_sent_at', sa.DateTime(timezone=True), nullable=True))
    _fill_handles()
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('project_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('task_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_audit_org_task', ['organization_id', 'task_id', 'id'], unique=False)
        batch_op.create_index('ix_audit_org_project', ['organization_id', 'project_id', 'id'],
                              unique=False)
    op.execute("UPDATE audit_entry SET task_id = entity_id WHERE entity_type = 'task'")
    op.execute("UPDATE audit_entry SET project_id = entity_id WHERE entity_type = 'project'")
    op.execute("UPDATE audit_entry SET project_id = (SELECT task.project_id FROM task "
               "WHERE task.id = audit_entry.task_id) WHERE task_id IS NOT NULL")
    op.execute("INSERT INTO task_assignee (task_id, user_id, organization_id) "
               "SELECT task_id, user_id, organization_id FROM _assignee_0005")
    op.execute("DROP TABLE _assignee_0005")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('handle', existing_type=sqlmodel.sql.sqltypes.AutoString(length=30),
                              nullable=False)
        batch_op.create_unique_constraint('uq_users_org_handle', ['organization_id', 'handle'])



def _slug(name: str) -> str:
    """As kanvaro.handles.base_handle was when this migration was written (frozen here)."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9._-]+", ".", text).strip("._-")
    text = re.sub(r"[._-]{2,}", ".", text)[:26].strip("._-")
    return text if len(text) >= 2 else f"user{text}"


def _fill_handles() -> None:
    conn = op.get_bind()
    taken: set[tuple[int, str]] = set()
    rows = conn.execute(sa.text("SELECT id, organization_id, name FROM users ORDER BY id")).all()
    for uid, org_id, name in rows:
        base = _slug(name or "")
        handle, n = base, 1
        while (org_id, handle) in taken:
            n += 1
            handle = f"{base}{n}"
        taken.add((org_id, handle))
        conn.execute(sa.text("UPDATE users SET handle = :h WHERE id = :id"), {"h": handle, "id": uid})


def downgrade() -> None:
    # Back to one assignee: the lowest id of each task's, put back once nothing refers to task.
    op.execute("CREATE TABLE _assignee_0005 AS SELECT task_id, MIN(user_id) AS user_id "
               "FROM task_assignee GROUP BY task_id")
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_org_project')
        batch_op.drop_index('ix_audit_org_task')
        batch_op.drop_column('task_id')
        batch_op.drop_column('project_id')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('uq_users_org_handle', type_='unique')
        batch_op.drop_column('digest_sent_at')
        batch_op.drop_column('mail_off')
        batch_op.drop_column('handle')

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_column('due_soon_for')
        batch_op.drop_column('comment_count')
        batch_op.drop_column('description_html')

    with op.batch_alter_table('story', schema=None) as batch_op:
        batch_op.drop_column('description_html')

    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_column('description_html')

    with op.batch_alter_table('task_watcher', schema=None) as batch_op:
        batch_op.drop_index('ix_task_watcher_org_user')

    op.drop_table('task_watcher')
    with op.batch_alter_table('task_assignee', schema=None) as batch_op:
        batch_op.drop_index('ix_task_assignee_org_user')

    op.drop_table('task_assignee')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_user_unread')
        batch_op.drop_index('ix_notification_org_user_id')
        batch_op.drop_index('ix_notification_mailed')

    op.drop_table('notification')
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_index('ix_comment_org_task')

    op.drop_table('comment')
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index('ix_attachment_org_task')
        batch_op.drop_index('ix_attachment_org_sha')

    op.drop_table('attachment')
    op.drop_table('blob')
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignee_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_task_assignee_id', ['assignee_id'], unique=False)
        batch_op.create_foreign_key('task_assignee_id_fkey', 'users', ['assignee_id'], ['id'],
                                    ondelete='SET NULL')
    op.execute("UPDATE task SET assignee_id = (SELECT user_id FROM _assignee_0005 "
               "WHERE _assignee_0005.task_id = task.id)")
    op.execute("DROP TABLE _assignee_0005")
