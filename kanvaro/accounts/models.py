"""Organizations, users, their sessions and failed logins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from kanvaro.columns import when


class Organization(SQLModel, table=True):
    __tablename__ = "organization"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    project_seq: int = Field(default=0)
    created_at: datetime = when()


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("organization_id", "handle", name="uq_users_org_handle"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    name: str = Field(max_length=200)
    # `@handle` in Markdown (SPEC §8): unique per organization, made from the name on joining.
    handle: str = Field(default="", max_length=30)
    email: str = Field(max_length=320, unique=True)
    password_hash: str = Field(max_length=200)
    role: str = Field(default="team_member", max_length=32)
    custom_role_id: int | None = Field(
        default=None, foreign_key="custom_role.id", ondelete="SET NULL"
    )
    is_active: bool = Field(default=True)
    # "system" follows the browser's prefers-color-scheme; "light" or "dark" overrides it.
    theme: str = Field(default="system", max_length=8, sa_column_kwargs={"server_default": "system"})
    # The notification kinds this person wants no mail for (kanvaro.notifications.models.KINDS).
    mail_off: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # When the last digest went out: at most one every 10 minutes.
    digest_sent_at: datetime | None = when(nullable=True)
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


# Every new user gets a handle made from the name (the mapper hook lives with the handles).
from kanvaro import handles as _handles  # noqa: F401
