"""Organization-scoped loaders: a foreign or hidden id is NotFound, never Forbidden."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select

from kanvaro.context import Ctx
from kanvaro.errors import NotFound
from kanvaro.models import Project, ProjectMember, Story, Task, User


def _visible(ctx: Ctx, org_column: Any, project_column: Any):  # type: ignore[no-untyped-def]
    """SQL condition: rows of the actor's organization, in projects the actor may see."""
    actor = ctx.user
    cond = org_column == actor.organization_id
    if actor.can("project:view_all"):
        return cond
    member = exists().where(
        ProjectMember.project_id == project_column, ProjectMember.user_id == actor.id
    )
    return cond & member


def visible_projects_clause(ctx: Ctx):  # type: ignore[no-untyped-def]
    return _visible(ctx, Project.organization_id, Project.id)


def get_project(ctx: Ctx, project_id: int, *, for_update: bool = False) -> Project:
    """`for_update` locks the row (PostgreSQL) so a version check and its write are atomic."""
    stmt = select(Project).where(Project.id == project_id, visible_projects_clause(ctx))
    project = ctx.db.scalar(stmt.with_for_update(of=Project) if for_update else stmt)
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


def visible_tasks_clause(ctx: Ctx):  # type: ignore[no-untyped-def]
    return _visible(ctx, Task.organization_id, Task.project_id)


def get_task(ctx: Ctx, task_id: int, *, for_update: bool = False) -> Task:
    stmt = select(Task).where(Task.id == task_id, visible_tasks_clause(ctx))
    task = ctx.db.scalar(stmt.with_for_update(of=Task) if for_update else stmt)
    if task is None:
        raise NotFound("task")
    return task


def get_story(ctx: Ctx, story_id: int, *, for_update: bool = False) -> Story:
    stmt = select(Story).where(
        Story.id == story_id,
        Story.organization_id == ctx.org_id,
        Story.project_id.in_(select(Project.id).where(visible_projects_clause(ctx))),  # type: ignore[attr-defined]
    )
    story = ctx.db.scalar(stmt.with_for_update(of=Story) if for_update else stmt)
    if story is None:
        raise NotFound("story")
    return story


def project_people(ctx: Ctx, project_id: int) -> list[tuple[int, str]]:
    """(id, name) of the project's active members: who a task can be assigned to."""
    rows = ctx.db.execute(
        select(User.id, User.name)
        .join(ProjectMember, ProjectMember.user_id == User.id)
        .where(ProjectMember.project_id == project_id, User.organization_id == ctx.org_id,
               User.is_active.is_(True))  # type: ignore[attr-defined]
        .order_by(User.name, User.id)
    )
    return [(r[0], r[1]) for r in rows]


def project_stories(ctx: Ctx, project_id: int) -> list[Story]:
    return list(
        ctx.db.scalars(
            select(Story).where(Story.project_id == project_id, Story.organization_id == ctx.org_id)
            .order_by(Story.id)
        )
    )
