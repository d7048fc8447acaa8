"""/api/v1/projects: the projects the token's person may see, through the projects' actions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from kanvaro.api import paging, schemas
from kanvaro.api.bodies import body_of
from kanvaro.api.endpoint import Answer, Call, Operation, Query
from kanvaro.api.schemas import iso
from kanvaro.context import Ctx
from kanvaro.enums import PROJECT_STATUSES
from kanvaro.errors import Conflict
from kanvaro.inputs import parse
from kanvaro.projects import actions
from kanvaro.projects.forms import NewProject, ProjectEdit
from kanvaro.projects.models import Project, ProjectMember
from kanvaro.projects.queries import get_project, visible_projects_clause

NewProjectBody = body_of(NewProject, "NewProject", required=("name",))
ProjectPatch = body_of(ProjectEdit, "ProjectPatch")


def members_of(ctx: Ctx, project_ids: list[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {i: [] for i in project_ids}
    if project_ids:
        rows = ctx.db.execute(select(ProjectMember.project_id, ProjectMember.user_id).where(
            ProjectMember.project_id.in_(project_ids),  # type: ignore[attr-defined]
            ProjectMember.organization_id == ctx.org_id))
        for project_id, user_id in rows:
            found[project_id].append(user_id)
    return {k: sorted(v) for k, v in found.items()}


def shown(project: Project, members: list[int]) -> dict[str, Any]:
    return {
        "id": project.id, "number": project.number, "name": project.name,
        "description": project.description, "status": project.status,
        "priority": project.priority,
        "start_date": iso(project.start_date),
        "end_date": iso(project.end_date),
        "members": members, "created_at": iso(project.created_at),
        "updated_at": iso(project.updated_at), "version": project.version,
    }


def one(ctx: Ctx, project: Project) -> dict[str, Any]:
    return shown(project, members_of(ctx, [project.id])[project.id])  # type: ignore[index, list-item]


def list_projects(call: Call) -> Answer:
    ctx, params = call.ctx, call.params
    limit, after = paging.window(params)
    status = paging.choice(params, "status", PROJECT_STATUSES)
    cond = visible_projects_clause(ctx) & (Project.id > after)  # type: ignore[operator]
    if status:
        cond &= Project.status == status
    q = paging.text(params, "q", 200)
    if q:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        cond &= Project.name.ilike(f"%{escaped}%", escape="\\")  # type: ignore[attr-defined]
    rows = list(ctx.db.scalars(select(Project).where(cond).order_by(Project.id).limit(limit + 1)))
    members = members_of(ctx, [p.id for p in rows[:limit]])  # type: ignore[misc]
    return Answer(paging.page([shown(p, members.get(p.id, [])) for p in rows], limit))  # type: ignore[arg-type]


def create_project(call: Call) -> Answer:
    project = actions.create_project(call.ctx, parse(NewProject, call.sent()))
    return Answer(one(call.ctx, project), 201,
                  {"Location": call.location("api_project", project_id=project.id)})


def read_project(call: Call, project_id: int) -> Answer:
    return Answer(one(call.ctx, get_project(call.ctx, project_id)))


def current_input(ctx: Ctx, project: Project) -> dict[str, Any]:
    """The project as its edit input: a PATCH changes only what it sends."""
    return {"name": project.name, "description": project.description,
            "start_date": project.start_date, "end_date": project.end_date,
            "status": project.status, "priority": project.priority,
            "members": members_of(ctx, [project.id])[project.id]}  # type: ignore[index, list-item]


def update_project(call: Call, project_id: int) -> Answer:
    ctx = call.ctx
    project = get_project(ctx, project_id, for_update=True)  # as the action reads it
    try:
        updated = actions.update_project(
            ctx, project_id, parse(ProjectEdit, {**current_input(ctx, project), **call.sent()}))
    except Conflict as exc:
        raise Conflict(one(ctx, exc.current)) from None
    return Answer(one(ctx, updated))


def delete_project(call: Call, project_id: int) -> Answer:
    actions.delete_project(call.ctx, project_id)
    return Answer(None, 204)


LIST_QUERY = (*paging.QUERY,
              Query("status", {"type": "string", "enum": list(PROJECT_STATUSES)}),
              Query("q", {"type": "string", "maxLength": 200}, "Name contains."))
OPERATIONS = (
    Operation("GET", "/projects", list_projects, "List projects", schemas.Page[schemas.Project],
              query=LIST_QUERY, tag="projects", name="api_projects"),
    Operation("POST", "/projects", create_project, "Create a project", schemas.Project,
              body=NewProjectBody, status=201, tag="projects", name="api_project_create"),
    Operation("GET", "/projects/{project_id:id}", read_project, "Read a project",
              schemas.Project, tag="projects", name="api_project"),
    Operation("PATCH", "/projects/{project_id:id}", update_project, "Change a project",
              schemas.Project, body=ProjectPatch, tag="projects", name="api_project_update"),
    Operation("DELETE", "/projects/{project_id:id}", delete_project,
              "Delete a project with its stories and tasks", None, status=204, tag="projects",
              name="api_project_delete"),
)
