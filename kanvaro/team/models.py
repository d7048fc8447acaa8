"""Custom roles and invitations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from kanvaro.columns import when


class CustomRole(SQLModel, table=True):
    __tablename__ = "custom_role"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    name: str = Field(max_length=100)
    description: str = Field(default="", max_length=2000)
    permissions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = when()


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
