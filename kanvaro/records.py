"""The kernel's tables: the audit log, the revision counters and the mail outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from kanvaro.columns import when


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_org_id", "organization_id", "id"),
        Index("ix_audit_action_created", "action", "created_at"),
        # A task's timeline and a project's activity (SPEC §8).
        Index("ix_audit_org_task", "organization_id", "task_id", "id"),
        Index("ix_audit_org_project", "organization_id", "project_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id")
    actor_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    action: str = Field(max_length=64)
    entity_type: str = Field(max_length=32)
    entity_id: int | None = None
    # The project and task the change belongs to, where it belongs to one (kanvaro.events).
    project_id: int | None = None
    task_id: int | None = None
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    request_id: str = Field(default="", max_length=64)
    client_addr: str = Field(default="", max_length=64)
    created_at: datetime = when()


class OrgRevision(SQLModel, table=True):
    """An organization's data revision, kept in shards (ETags, docs/performance.md).

    Every audited change adds one to the shard its entity falls in; the revision is the
    sum. Changes of different entities mostly bump different rows, so they do not queue
    behind one row lock; the sum is read in one statement, so it never runs ahead of the
    data it stands for.
    """

    __tablename__ = "org_revision"

    organization_id: int = Field(foreign_key="organization.id", primary_key=True)
    shard: int = Field(primary_key=True)
    value: int = Field(default=0)


class EmailOutbox(SQLModel, table=True):
    __tablename__ = "email_outbox"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    to: str = Field(max_length=320)
    subject: str = Field(max_length=300)
    text_body: str = ""
    html_body: str = ""
    # A secret the mail carries, by reference (kanvaro.mail_secrets): the bodies hold a
    # placeholder, and the sender derives the secret into them. "" when there is none.
    secret_purpose: str = Field(default="", max_length=32, sa_column_kwargs={"server_default": ""})
    secret_nonce: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    secret_hash: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    status: str = Field(default="pending", max_length=16, index=True)
    attempts: int = 0
    last_error: str = ""
    next_attempt_at: datetime = when()
    claimed_until: datetime | None = when(nullable=True)
    created_at: datetime = when()
    sent_at: datetime | None = when(nullable=True)
