"""Personal access tokens, and how often each is used."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from kanvaro.columns import when


class ApiToken(SQLModel, table=True):
    """A token acts as its person (`user_id`) with their permissions, never more; `scope`
    "read" refuses every write. Only the SHA-256 of the secret is kept."""

    __tablename__ = "api_token"
    __table_args__ = (Index("ix_api_token_org_user", "organization_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id")
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE")
    name: str = Field(max_length=100)
    scope: str = Field(max_length=10)  # "read" or "write"
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = when()
    expires_at: datetime = when()
    revoked_at: datetime | None = when(nullable=True)


class ApiTokenUse(SQLModel, table=True):
    """The token's requests in the current minute (the rate limit, SPEC §13) and its last
    use: one upsert per API request, so the token row itself is never written by a request."""

    __tablename__ = "api_token_use"

    token_id: int = Field(foreign_key="api_token.id", primary_key=True, ondelete="CASCADE")
    organization_id: int = Field(foreign_key="organization.id")
    window_start: datetime = when()
    count: int = Field(default=0)
    last_used_at: datetime = when()
