"""Invitations, the audit log and the mail outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from kanvaro.models.base import when


class Invitation(SQLModel, table=True):
    __tablename__ = "invitation"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    email: str = Field(max_length=320, index=True)
    role: str = Field(max_length=32)
    custom_role_id: int | None = Field(
        default=None, foreign_key="custom_role.id", ondelete="SET NULL"
    )
    token_hash: str = Field(max_length=64, unique=True)
    # The token is derived from the secret key and this nonce when the mail is sent, and
    # never stored (kanvaro.mail_secrets); "" for invitations made before migration 0002.
    token_nonce: str = Field(default="", max_length=64, sa_column_kwargs={"server_default": ""})
    invited_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = when()
    expires_at: datetime = when()
    accepted_at: datetime | None = when(nullable=True)
    revoked_at: datetime | None = when(nullable=True)


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_org_id", "organization_id", "id"),
        Index("ix_audit_action_created", "action", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id")
    actor_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    action: str = Field(max_length=64)
    entity_type: str = Field(max_length=32)
    entity_id: int | None = None
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    request_id: str = Field(default="", max_length=64)
    client_addr: str = Field(default="", max_length=64)
    created_at: datetime = when()


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
