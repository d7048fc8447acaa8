"""The read side of writing: a text rendered as it would be saved, and who `@` may name."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy import func, or_, select

from kanvaro.accounts.models import User
from kanvaro.audience import VIEW_ALL, sees
from kanvaro.context import Ctx
from kanvaro.inputs import Parsed
from kanvaro.markdown import render, visible_refs
from kanvaro.permissions import POLICY
from kanvaro.projects.models import Project, ProjectMember
from kanvaro.projects.queries import get_project
from kanvaro.team.models import CustomRole
from kanvaro.writing.forms import PreviewInput

SUGGESTIONS = 8  # people offered at once: type more to narrow
_SCAN = 200  # candidates read to find them (the visibility rule is applied in Python)


@dataclass(frozen=True)
class Preview:
    text: str
    html: Markup
    project: Project | None


def preview(ctx: Ctx, sent: Parsed[PreviewInput]) -> Preview:
    """`text` as saving it would render it (the same kanvaro.markdown.render, for the same
    project), shown as this reader may see it. A project the reader cannot see is a 404,
    before any other answer: a preview must not tell who may see a hidden project."""
    project_id = None if "project_id" in sent.errors else sent.data.get("project_id")
    project = get_project(ctx, project_id) if project_id is not None else None
    value = sent.valid()
    rendered = render(ctx, value.text, project_id=project.id if project else None)
    return Preview(value.text, visible_refs(ctx, rendered.html), project)


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    handle: str


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def mention_candidates(ctx: Ctx, project_id: int, q: str) -> tuple[Project, list[Person]]:
    """The project (404 if the asker cannot see it) and the people who can, other than the
    asker, whose handle starts with `q` or whose name holds it; by name, SUGGESTIONS at most."""
    project = get_project(ctx, project_id)
    q = q.strip().lstrip("@").lower()[:30]
    stmt = (
        select(User.id, User.name, User.handle, User.role, CustomRole.permissions,
               ProjectMember.user_id)
        .outerjoin(CustomRole, CustomRole.id == User.custom_role_id)
        .outerjoin(ProjectMember, (ProjectMember.user_id == User.id)
                   & (ProjectMember.project_id == project.id))
        .where(User.organization_id == ctx.org_id, User.id != ctx.user.id,
               User.is_active.is_(True),  # type: ignore[attr-defined]
               or_(ProjectMember.user_id.is_not(None),  # type: ignore[union-attr]
                   User.role.in_(POLICY[VIEW_ALL]),  # type: ignore[attr-defined]
                   CustomRole.id.is_not(None)))  # type: ignore[union-attr]
    )
    if q:
        stmt = stmt.where(or_(User.handle.like(_like(q) + "%", escape="\\"),  # type: ignore[attr-defined]
                              func.lower(User.name).like("%" + _like(q) + "%", escape="\\")))
    rows = ctx.db.execute(stmt.order_by(User.name, User.id).limit(_SCAN)).all()
    people = [Person(uid, name, handle) for uid, name, handle, role, custom, member in rows
              if sees(role, custom, member is not None)]
    return project, people[:SUGGESTIONS]
