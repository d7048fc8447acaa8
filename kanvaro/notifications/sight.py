"""Who may see a task, read in the same statement as the rows a notification starts from.

kanvaro.audience.who_can_see asks the rule for a list of ids it is given. The handlers, the
digest and the due_soon run start from rows instead (a task's watchers, pending
notifications, assignees), so they join these three columns onto their own query and ask
`audience.sees` per row: the same rule (members, and `project:view_all` by role or custom role, active people only),
without a statement of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, String, cast, literal

from kanvaro.accounts.models import User
from kanvaro.audience import VIEW_ALL, sees
from kanvaro.permissions import POLICY
from kanvaro.projects.models import ProjectMember
from kanvaro.team.models import CustomRole

# role, custom role permissions, membership: what can_see reads of each row.
SIGHT = (User.role, CustomRole.permissions, ProjectMember.user_id.label("member"))


def with_sight(stmt: Select[Any], project_id: Any) -> Select[Any]:
    """`stmt` (selecting from users) joined to what can_see needs for project `project_id`
    (a column or a bound value)."""
    return (stmt.outerjoin(CustomRole, CustomRole.id == User.custom_role_id)
            .outerjoin(ProjectMember, (ProjectMember.user_id == User.id)
                       & (ProjectMember.project_id == project_id)))


def can_see(role: str, custom: Iterable[str] | None, member: int | None) -> bool:
    """kanvaro.audience's rule for one row of SIGHT (the user is active)."""
    return sees(role, custom, member is not None)


def sees_clause() -> Any:
    """audience.sees as SQL over the joins of with_sight, for the statement that must be one
    (the status change's): a member, a role that sees every project, or a custom role holding
    `project:view_all` (its permission codes are JSON text: a quoted code is only that code).
    tests/actions/test_notifications.py holds it to the same answers as who_can_see."""
    return (ProjectMember.user_id.is_not(None)  # type: ignore[union-attr]
            # Bound one by one: a plain list would be an "expanding" parameter, rendered anew
            # on each execution of the hottest statement.
            | User.role.in_([literal(role) for role in sorted(POLICY[VIEW_ALL])])  # type: ignore[attr-defined]
            | cast(CustomRole.permissions, String).like(f'%"{VIEW_ALL}"%'))
