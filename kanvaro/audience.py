"""Who may see a project's tasks: the rule a mention, a notification and a digest all ask.

The same rule as every loader's (kanvaro.projects.queries.visibility_rule), asked the other
way round: not "which projects may this person see" but "which of these people may see this
project" (members, and whoever holds `project:view_all` by role or custom role), active only.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from kanvaro.accounts.models import User
from kanvaro.context import Ctx
from kanvaro.permissions import POLICY
from kanvaro.projects.models import ProjectMember
from kanvaro.team.models import CustomRole

VIEW_ALL = "project:view_all"


def who_can_see(ctx: Ctx, project_id: int, user_ids: Iterable[int]) -> set[int]:
    """Those of `user_ids` (any organization's) who may see project `project_id` now."""
    wanted = {int(u) for u in user_ids}
    if not wanted:
        return set()
    rows = ctx.db.execute(
        select(User.id, User.role, CustomRole.permissions, ProjectMember.user_id)
        .outerjoin(CustomRole, CustomRole.id == User.custom_role_id)
        .outerjoin(ProjectMember, (ProjectMember.user_id == User.id)
                   & (ProjectMember.project_id == project_id))
        .where(User.id.in_(wanted), User.organization_id == ctx.org_id,  # type: ignore[union-attr]
               User.is_active.is_(True))  # type: ignore[attr-defined]
    ).all()
    return {uid for uid, role, custom, member in rows if sees(role, custom, member is not None)}


def sees(role: str, custom_permissions: Iterable[str] | None, member: bool) -> bool:
    """The rule itself, for one person: a member of the project, or one who sees them all."""
    return member or role in POLICY[VIEW_ALL] or VIEW_ALL in (custom_permissions or ())


def handles_to_ids(ctx: Ctx, handles: Iterable[str]) -> dict[str, int]:
    """handle -> user id, for the handles of ctx's organization among `handles`."""
    wanted = {h.lower() for h in handles}
    if not wanted:
        return {}
    rows = ctx.db.execute(select(User.handle, User.id).where(
        User.organization_id == ctx.org_id, User.handle.in_(wanted)))  # type: ignore[attr-defined]
    return {handle: uid for handle, uid in rows}
