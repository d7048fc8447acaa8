"""The permission policy (SPEC §3): one table, one entry point."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kanvaro.errors import Forbidden

ROLES: dict[str, str] = {
    "owner": "Owner",
    "admin": "Admin",
    "project_manager": "Project manager",
    "team_member": "Team member",
    "client": "Client",
    "viewer": "Viewer",
}
ROLE_RANK: dict[str, int] = {
    "owner": 5,
    "admin": 4,
    "project_manager": 3,
    "team_member": 2,
    "client": 1,
    "viewer": 1,
}

_ALL = {"owner", "admin", "project_manager", "team_member", "client", "viewer"}
_PM_UP = {"owner", "admin", "project_manager"}
_MEMBER_UP = _PM_UP | {"team_member"}
_ADMIN_UP = {"owner", "admin"}

# The areas the team page groups permissions by, in the order it shows them.
AREAS: dict[str, str] = {
    "projects": "Projects",
    "tasks": "Tasks",
    "stories": "Stories",
    "comments": "Comments and files",
    "team": "Team",
    "audit": "Audit log",
    "organization": "Organization",
}


@dataclass(frozen=True)
class Permission:
    """One row of the policy: its code (what forms send and custom roles store), the
    built-in roles holding it, and how pages name it."""

    code: str
    roles: frozenset[str]
    area: str
    name: str
    description: str


def _p(code: str, roles: set[str], area: str, name: str, description: str) -> Permission:
    return Permission(code, frozenset(roles), area, name, description)


TABLE: tuple[Permission, ...] = (
    _p("project:view_all", _ADMIN_UP, "projects", "See all projects",
       "Open every project of the organization, also those one is not a member of."),
    _p("project:read", _ALL, "projects", "See own projects",
       "Open the projects one is a member of, with their stories and tasks."),
    _p("project:create", _PM_UP, "projects", "Create projects",
       "Start a new project; its creator becomes a member."),
    _p("project:update", _PM_UP, "projects", "Edit projects",
       "Change a project's name, description, dates, status and priority."),
    _p("project:manage_team", _PM_UP, "projects", "Choose project members",
       "Add people to a project and take them off it."),
    _p("project:delete", _ADMIN_UP, "projects", "Delete projects",
       "Delete a project with all its stories and tasks."),
    _p("task:create", _MEMBER_UP, "tasks", "Add tasks", "Add tasks to a project."),
    _p("task:update", _MEMBER_UP, "tasks", "Edit tasks",
       "Change a task's title, description, story, priority, points and due date."),
    _p("task:change_status", _MEMBER_UP, "tasks", "Change task status",
       "Change a task's status, and its place on the board."),
    _p("task:assign", _MEMBER_UP, "tasks", "Assign tasks", "Choose who works on a task."),
    _p("task:delete", _PM_UP, "tasks", "Delete tasks", "Delete a task for good."),
    _p("story:delete", _PM_UP, "stories", "Delete stories",
       "Delete a story; its tasks stay, without a story."),
    _p("story:create", _MEMBER_UP, "stories", "Add stories", "Add user stories to a project."),
    _p("story:update", _MEMBER_UP, "stories", "Edit stories",
       "Change a story's title, description, priority, points and status."),
    _p("comment:create", _MEMBER_UP | {"client"}, "comments", "Comment",
       "Write comments on the tasks one can see, and edit or delete one's own."),
    _p("comment:moderate", _PM_UP, "comments", "Moderate comments",
       "Delete anyone's comment."),
    _p("attachment:add", _MEMBER_UP, "comments", "Attach files",
       "Upload files to tasks, and delete one's own uploads."),
    _p("user:invite", _PM_UP, "team", "Invite people",
       "Invite people to the organization with a role up to one's own, and revoke invitations."),
    _p("user:manage_roles", _ADMIN_UP, "team", "Change members' roles",
       "Set the built-in and custom role of members ranked no higher than oneself."),
    _p("user:deactivate", _ADMIN_UP, "team", "Deactivate members",
       "Log a member out at once and stop them from logging in."),
    _p("role:manage", _ADMIN_UP, "team", "Manage custom roles",
       "Create, edit and delete custom roles."),
    _p("audit:read", _ADMIN_UP, "audit", "Read the audit log", "See who changed what, and when."),
    _p("organization:update", {"owner"}, "organization", "Edit the organization",
       "Change the organization's name and settings."),
    _p("webhook:manage", _ADMIN_UP, "organization", "Manage webhooks",
       "Add and delete webhooks, see their deliveries and deliver them again."),
)
BY_CODE: dict[str, Permission] = {p.code: p for p in TABLE}
POLICY: dict[str, frozenset[str]] = {p.code: p.roles for p in TABLE}
PERMISSIONS: tuple[str, ...] = tuple(POLICY)


def by_area(codes: Iterable[str] | None = None) -> list[tuple[str, list[Permission]]]:
    """(area label, its permissions) in AREAS order, of `codes` (unknown ones left out) or of
    all; areas with none are left out."""
    wanted = set(BY_CODE) if codes is None else set(codes)
    return [(label, rows) for area, label in AREAS.items()
            if (rows := [p for p in TABLE if p.area == area and p.code in wanted])]


def permission_name(code: str) -> str:
    """How pages name a permission: its name, with the code for whoever looks it up."""
    row = BY_CODE.get(code)
    return f"{row.name} ({code})" if row else code


def role_permissions(role: str) -> frozenset[str]:
    return frozenset(p for p, roles in POLICY.items() if role in roles)


@dataclass(frozen=True)
class Actor:
    """The logged-in user as the policy sees them, read fresh on every request."""

    id: int
    organization_id: int
    name: str
    email: str
    role: str
    permissions: frozenset[str]
    theme: str = "system"
    handle: str = ""
    # Unread notifications, read with the actor (the header's count costs no statement).
    unread: int = 0

    @classmethod
    def build(
        cls, *, id: int, organization_id: int, name: str, email: str, role: str,
        custom_permissions: Iterable[str] = (), theme: str = "system", handle: str = "",
        unread: int = 0,
    ) -> Actor:
        perms = role_permissions(role) | (frozenset(custom_permissions) & frozenset(POLICY))
        return cls(id, organization_id, name, email, role, perms, theme, handle, unread)

    def can(self, permission: str) -> bool:
        return permission in self.permissions


def require(actor: Actor, permission: str) -> None:
    """Raise Forbidden unless the actor holds the permission."""
    if permission not in POLICY:
        raise KeyError(permission)
    if not actor.can(permission):
        raise Forbidden(permission)
