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

POLICY: dict[str, frozenset[str]] = {
    "project:view_all": frozenset(_ADMIN_UP),
    "project:read": frozenset(_ALL),
    "project:create": frozenset(_PM_UP),
    "project:update": frozenset(_PM_UP),
    "project:manage_team": frozenset(_PM_UP),
    "project:delete": frozenset(_ADMIN_UP),
    "task:create": frozenset(_MEMBER_UP),
    "task:update": frozenset(_MEMBER_UP),
    "task:change_status": frozenset(_MEMBER_UP),
    "task:assign": frozenset(_MEMBER_UP),
    "task:delete": frozenset(_PM_UP),
    "story:delete": frozenset(_PM_UP),
    "story:create": frozenset(_MEMBER_UP),
    "story:update": frozenset(_MEMBER_UP),
    "user:invite": frozenset(_PM_UP),
    "user:manage_roles": frozenset(_ADMIN_UP),
    "user:deactivate": frozenset(_ADMIN_UP),
    "role:manage": frozenset(_ADMIN_UP),
    "audit:read": frozenset(_ADMIN_UP),
    "organization:update": frozenset({"owner"}),
}
PERMISSIONS: tuple[str, ...] = tuple(POLICY)


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

    @classmethod
    def build(
        cls, *, id: int, organization_id: int, name: str, email: str, role: str,
        custom_permissions: Iterable[str] = (),
    ) -> Actor:
        perms = role_permissions(role) | (frozenset(custom_permissions) & frozenset(POLICY))
        return cls(id, organization_id, name, email, role, perms)

    def can(self, permission: str) -> bool:
        return permission in self.permissions


def require(actor: Actor, permission: str) -> None:
    """Raise Forbidden unless the actor holds the permission."""
    if permission not in POLICY:
        raise KeyError(permission)
    if not actor.can(permission):
        raise Forbidden(permission)
