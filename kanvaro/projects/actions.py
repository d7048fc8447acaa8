"""Create, update and delete projects."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, update

from kanvaro import audit, events
from kanvaro.accounts.models import Organization
from kanvaro.accounts.queries import org_users
from kanvaro.columns import apply_edit
from kanvaro.context import Ctx
from kanvaro.errors import expect_version
from kanvaro.inputs import Parsed
from kanvaro.markdown import render
from kanvaro.permissions import require
from kanvaro.projects.forms import NewProject, ProjectEdit, ProjectForm
from kanvaro.projects.models import Project, ProjectMember
from kanvaro.projects.queries import get_project, project_member_ids, project_members
from kanvaro.stories.models import Story
from kanvaro.tasks.models import Task

FIELDS = ("name", "description", "status", "priority", "start_date", "end_date")


def project_form(ctx: Ctx, formdata: Any = None, **kwargs: Any) -> ProjectForm:
    people = [(u.id, u.name) for u in org_users(ctx) if u.id is not None]
    return ProjectForm(formdata, people=people, **kwargs)


def new_project_form(ctx: Ctx) -> ProjectForm:
    """The empty form of GET /projects/new, for those who may create a project."""
    require(ctx.user, "project:create")
    return project_form(ctx)


def edit_project_form(ctx: Ctx, project_id: int) -> tuple[Project, ProjectForm]:
    """The project and its edit form, filled in, for those who may edit it."""
    project = get_project(ctx, project_id)
    require(ctx.user, "project:update")
    form = project_form(ctx, None, data={k: getattr(project, k) for k in FIELDS})
    form.members.data = [u.id for u in project_members(ctx, project_id)]
    form.version.data = project.version
    return project, form


def _valid(ctx: Ctx, sent: Parsed[Any]) -> Any:
    """The input, its members people of the organization."""
    allowed = {u.id for u in org_users(ctx)}
    chosen = sent.data.get("members") or []
    return sent.valid(members="Choose members from the people of your organization."
                      if any(uid not in allowed for uid in chosen) else None)


def _values(value: NewProject) -> dict[str, Any]:
    """The input by column (the names are the same)."""
    return {k: getattr(value, k) for k in FIELDS}


def _set_members(ctx: Ctx, project: Project, member_ids: set[int]) -> None:
    ctx.db.execute(delete(ProjectMember).where(ProjectMember.project_id == project.id))
    if member_ids:
        ctx.db.execute(
            insert(ProjectMember),
            [
                {"organization_id": project.organization_id, "project_id": project.id, "user_id": uid}
                for uid in sorted(member_ids)
            ],
        )


def create_project(ctx: Ctx, sent: Parsed[NewProject]) -> Project:
    require(ctx.user, "project:create")
    value: NewProject = _valid(ctx, sent)
    number = ctx.db.execute(
        update(Organization)
        .where(Organization.id == ctx.org_id)
        .values(project_seq=Organization.project_seq + 1)
        .returning(Organization.project_seq)
    ).scalar_one()
    values = _values(value)
    project = Project(
        organization_id=ctx.org_id,
        number=number,
        created_by_id=ctx.user.id,
        created_at=ctx.now,
        updated_at=ctx.now,
        **values,
    )
    ctx.db.add(project)
    ctx.db.flush()
    members = set(value.members) | {ctx.user.id}
    _set_members(ctx, project, members)
    # Rendered once its people are known: `@handle` links only those who may see it.
    project.description_html = render(ctx, project.description, project_id=project.id).html
    changes = {k: [None, v] for k, v in values.items() if v not in (None, "")}
    changes["members"] = [None, sorted(members)]
    ctx.emit(events.ProjectCreated(project.id, changes))
    return project


def update_project(ctx: Ctx, project_id: int, sent: Parsed[ProjectEdit]) -> Project:
    project = get_project(ctx, project_id, for_update=True)
    require(ctx.user, "project:update")
    value: ProjectEdit = _valid(ctx, sent)
    expect_version(value.version, project.version, project)
    before = {k: getattr(project, k) for k in FIELDS}
    before_members = sorted(project_member_ids(ctx, project.id))  # type: ignore[arg-type]
    after = _values(value)
    members = set(value.members)
    if project.created_by_id is not None:
        members.add(project.created_by_id)
    changes = audit.diff(before, after)
    if sorted(members) != before_members:
        if not ctx.user.can("project:manage_team"):
            require(ctx.user, "project:manage_team")
        changes["members"] = [before_members, sorted(members)]
        _set_members(ctx, project, members)
    apply_edit(project, after, ctx.now)
    if "description" in changes:
        project.description_html = render(ctx, project.description, project_id=project.id).html
    ctx.db.flush()
    ctx.emit(events.ProjectUpdated(project.id, changes))
    return project


def delete_project(ctx: Ctx, project_id: int) -> str:
    """Delete the project with its tasks and stories; returns its name."""
    project = get_project(ctx, project_id)
    require(ctx.user, "project:delete")
    ctx.db.execute(delete(Task).where(Task.project_id == project.id))
    ctx.db.execute(delete(Story).where(Story.project_id == project.id))
    ctx.db.execute(delete(ProjectMember).where(ProjectMember.project_id == project.id))
    name, number = project.name, project.number
    ctx.db.delete(project)
    ctx.db.flush()
    ctx.emit(events.ProjectDeleted(project_id, {"name": [name, None], "number": [number, None]}))
    return name
