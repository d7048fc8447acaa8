"""Organizations, users, their sessions and custom roles."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from kanvaro.models.base import when


class Organization(SQLModel, table=True):
    __tablename__ = "organization"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    # Bumped in the same transaction as every audited change: drives ETags.
    revision: int = Field(default=0)
    project_seq: int = Field(default=0)
    created_at: datetime = when()


class CustomRole(SQLModel, table=True):
    __tablename__ = "custom_role"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    name: str = Field(max_length=100)
    description: str = Field(default="", max_length=2000)
    permissions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = when()


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=320, unique=True)
    password_hash: str = Field(max_length=200)
    role: str = Field(default="team_member", max_length=32)
    custom_role_id: int | None = Field(
        default=None, foreign_key="custom_role.id", ondelete="SET NULL"
    )
    is_active: bool = Field(default=True)
    created_at: datetime = when()


class UserSession(SQLModel, table=True):
    __tablename__ = "sessions"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    user_agent: str = Field(default="", max_length=500)
    created_at: datetime = when()
    last_seen_at: datetime = when()


class LoginAttempt(SQLModel, table=True):
    """A failed login, kept in the database so throttling holds across workers."""

    __tablename__ = "login_attempt"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, index=True)
    client_addr: str = Field(max_length=64, index=True)
    created_at: datetime = when(index=True)
