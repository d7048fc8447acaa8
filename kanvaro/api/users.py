"""/api/v1/users: the organization's people, read only (as the team page lists them)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kanvaro.accounts.models import User
from kanvaro.api import paging, schemas
from kanvaro.api.endpoint import Answer, Call, Operation
from kanvaro.errors import NotFound


def shown(u: User) -> dict[str, Any]:
    return {"id": u.id, "name": u.name, "handle": u.handle, "email": u.email, "role": u.role,
            "is_active": u.is_active}


def list_users(call: Call) -> Answer:
    ctx = call.ctx
    return Answer(paging.listed(ctx, User, User.organization_id == ctx.org_id, call.params, shown))


def read_user(call: Call, user_id: int) -> Answer:
    user = call.ctx.db.scalar(select(User).where(User.id == user_id,
                                                 User.organization_id == call.ctx.org_id))
    if user is None:
        raise NotFound("user")
    return Answer(shown(user))


OPERATIONS = (
    Operation("GET", "/users", list_users, "List the organization's people",
              schemas.Page[schemas.User], query=paging.QUERY, tag="users", name="api_users"),
    Operation("GET", "/users/{user_id:id}", read_user, "Read a person", schemas.User,
              tag="users", name="api_user"),
)
