"""mail secrets by reference; audit (action, created_at) index

The invitation token is no longer stored in the outbox (issue 9, item 3): invitations keep
the nonce it is derived from, and outbox rows keep a reference to the secret their bodies
lack. Mails already sent or failed had the token in their bodies: it is replaced by
"[removed]" (their links were delivered, or never will be). Mails still waiting keep theirs,
so they are delivered as written.

Also an index on audit_entry (action, created_at), for counting recent entries of an action.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 10:00:00.000000
"""
import re
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision: str = '0002'
down_revision: Union[str, None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

STORED_TOKEN = re.compile(r"(/invitations/)[A-Za-z0-9_-]{16,}")


def upgrade() -> None:
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_nonce', sqlmodel.sql.sqltypes.AutoString(length=64),
                                      server_default='', nullable=False))

    with op.batch_alter_table('email_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('secret_purpose', sqlmodel.sql.sqltypes.AutoString(length=32),
                                      server_default='', nullable=False))
        batch_op.add_column(sa.Column('secret_nonce', sqlmodel.sql.sqltypes.AutoString(length=64),
                                      server_default='', nullable=False))
        batch_op.add_column(sa.Column('secret_hash', sqlmodel.sql.sqltypes.AutoString(length=64),
                                      server_default='', nullable=False))

    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index('ix_audit_action_created', ['action', 'created_at'], unique=False)

    _remove_delivered_tokens()


def _remove_delivered_tokens() -> None:
    outbox = sa.table('email_outbox', sa.column('id', sa.Integer), sa.column('status', sa.String),
                      sa.column('text_body', sa.String), sa.column('html_body', sa.String))
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(outbox.c.id, outbox.c.text_body, outbox.c.html_body).where(
            outbox.c.status.in_(['sent', 'failed']),
            sa.or_(outbox.c.text_body.like('%/invitations/%'), outbox.c.html_body.like('%/invitations/%')),
        )
    ).all()
    for mail_id, text_body, html_body in rows:
        conn.execute(outbox.update().where(outbox.c.id == mail_id).values(
            text_body=STORED_TOKEN.sub(r"\1[removed]", text_body or ""),
            html_body=STORED_TOKEN.sub(r"\1[removed]", html_body or ""),
        ))


def downgrade() -> None:
    # 0001 knows no secret references: a waiting mail that has one would go out with its
    # placeholder in place of the link, so it is marked failed instead.
    outbox = sa.table('email_outbox', sa.column('status', sa.String), sa.column('last_error', sa.String),
                      sa.column('secret_purpose', sa.String))
    op.get_bind().execute(outbox.update().where(
        outbox.c.secret_purpose != '', outbox.c.status.in_(['pending', 'sending']),
    ).values(status='failed', last_error='not sent: the database was downgraded below 0002'))

    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_action_created')

    with op.batch_alter_table('email_outbox', schema=None) as batch_op:
        batch_op.drop_column('secret_hash')
        batch_op.drop_column('secret_nonce')
        batch_op.drop_column('secret_purpose')

    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.drop_column('token_nonce')
