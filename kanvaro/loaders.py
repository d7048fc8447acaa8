"""Organization-scoped loaders: a foreign or hidden id is NotFound, never Forbidden."""

from __future__ import annotations

from sqlalchemy import exists, select

from kanvaro.context import Ctx
from kanvaro.errors import NotFound
from kanvaro.models import Project, ProjectMember, User


def visible_projects_clause(ctx: Ctx):  # type: ignore[no-untyped-def]
    """SQL condition: projects of the actor's organization they may see."""
    actor = ctx.user
    cond = Project.organization_id == actor.organization_id
    if actor.can("project:view_all"):
        return cond
    member = exists().where(
        ProjectMember.project_id == Project.id, ProjectMember.user_id == actor.id
    )
    return cond & member


def get_project(ctx: Ctx, project_id: int) -> Project:
    project = ctx.db.scalar(
        select(Project).where(Project.id == project_id, visible_projects_clause(ctx))
    )
    if project is None:
        raise NotFound("project")
    return project


def org_users(ctx: Ctx, *, active_only: bool = True) -> list[User]:
    stmt = select(User).where(User.organization_id == ctx.org_id)
    if active_only:
        stmt = stmt.where(User.is_active.is_(True))  # type: ignore[attr-defined]
    return list(ctx.db.scalars(stmt.order_by(User.name, User.id)))


def project_member_ids(ctx: Ctx, project_id: int) -> list[int]:
    return list(
        ctx.db.scalars(
            select(ProjectMember.user_id).where(
                ProjectMember.project_id == project_id,
                ProjectMember.organization_id == ctx.org_id,
            )
        )
    )
