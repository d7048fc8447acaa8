"""The policy table against SPEC §3, written out again here by hand, and over HTTP for the team."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kanvaro.errors import Forbidden
from kanvaro.models import AuditEntry, CustomRole, Invitation, User
from kanvaro.permissions import POLICY, ROLES, Actor, require
from tests.factories import make_user

O, A, PM, TM, C, V = "owner", "admin", "project_manager", "team_member", "client", "viewer"
EVERYONE = {O, A, PM, TM, C, V}

# SPEC §3, row by row. Deliberately not derived from kanvaro.permissions.
SPEC_TABLE: dict[str, set[str]] = {
    "project:view_all": {O, A},
    "project:read": EVERYONE,
    "project:create": {O, A, PM},
    "project:update": {O, A, PM},
    "project:manage_team": {O, A, PM},
    "project:delete": {O, A},
    "task:create": {O, A, PM, TM},
    "task:update": {O, A, PM, TM},
    "task:change_status": {O, A, PM, TM},
    "task:assign": {O, A, PM, TM},
    "task:delete": {O, A, PM},
    "story:delete": {O, A, PM},
    "story:create": {O, A, PM, TM},
    "story:update": {O, A, PM, TM},
    "comment:create": {O, A, PM, TM, C},
    "comment:moderate": {O, A, PM},
    "attachment:add": {O, A, PM, TM},
    "user:invite": {O, A, PM},
    "user:manage_roles": {O, A},
    "user:deactivate": {O, A},
    "role:manage": {O, A},
    "audit:read": {O, A},
    "organization:update": {O},
    "webhook:manage": {O, A},
}

PAIRS = [(role, perm) for perm in SPEC_TABLE for role in sorted(EVERYONE)]


def actor(role: str, custom: tuple[str, ...] = ()) -> Actor:
    return Actor.build(id=1, organization_id=1, name="N", email="n@example.com", role=role,
                       custom_permissions=custom)


def test_the_policy_names_exactly_the_specs_permissions_and_roles():
    assert set(POLICY) == set(SPEC_TABLE)
    assert set(ROLES) == EVERYONE


@pytest.mark.parametrize("role, permission", PAIRS)
def test_every_role_and_permission_pair_follows_the_spec(role, permission):
    allowed = role in SPEC_TABLE[permission]
    assert actor(role).can(permission) is allowed
    if allowed:
        require(actor(role), permission)
    else:
        with pytest.raises(Forbidden):
            require(actor(role), permission)


def test_a_custom_role_adds_its_permissions_and_unknown_names_are_ignored():
    viewer = actor(V, ("audit:read", "root:everything"))
    assert viewer.can("audit:read") and not viewer.can("root:everything")
    assert viewer.can("project:read") and not viewer.can("task:create")


def test_require_refuses_a_permission_the_table_does_not_know():
    with pytest.raises(KeyError):
        require(actor(O), "project:teleport")


def test_every_permission_has_an_area_a_unique_name_and_a_description():
    from kanvaro.permissions import AREAS, TABLE, by_area
    assert [p.code for p in TABLE] == list(POLICY)
    assert all(p.area in AREAS and p.name and p.description.endswith(".") for p in TABLE)
    assert len({p.name for p in TABLE}) == len(TABLE)
    assert sorted(p.code for _, rows in by_area() for p in rows) == sorted(POLICY)
    assert [(area, [p.code for p in rows]) for area, rows in by_area(["audit:read", "zz:unknown"])] \
        == [("Audit log", ["audit:read"])]


# --- over HTTP: each team permission, for every built-in role ----------------------------------

def count(db, model, *where) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _invite(browser, db, org):
    r = browser.post("/team/invitations", {"email": "fresh@example.com", "role": "viewer"})
    return r, count(db, Invitation)


def _manage_roles(browser, db, org):
    target = make_user(db, org, role="viewer")
    db.commit()
    r = browser.post(f"/team/members/{target.id}/role", {"role": "client"})
    return r, count(db, User, User.id == target.id, User.role == "client")


def _deactivate(browser, db, org):
    target = make_user(db, org, role="viewer")
    db.commit()
    r = browser.post(f"/team/members/{target.id}/deactivate")
    return r, count(db, User, User.id == target.id, User.is_active.is_(False))


def _role_manage(browser, db, org):
    r = browser.post("/team/roles", {"name": "Helpers"})
    return r, count(db, CustomRole)


def _audit_read(browser, db, org):
    r = browser.get("/audit")
    return r, 1 if r.status_code == 200 else 0


TEAM_ROUTES = {
    "user:invite": _invite,
    "user:manage_roles": _manage_roles,
    "user:deactivate": _deactivate,
    "role:manage": _role_manage,
    "audit:read": _audit_read,
}


@pytest.mark.parametrize("permission", list(TEAM_ROUTES))
@pytest.mark.parametrize("role", sorted(EVERYONE))
def test_team_routes_obey_the_table_and_a_refusal_writes_nothing(browser, db, org, owner, role, permission):
    user = owner if role == O else make_user(db, org, role=role)
    db.commit()
    browser.login_as(user)
    audit_before = count(db, AuditEntry)
    response, written = TEAM_ROUTES[permission](browser, db, org)
    if role in SPEC_TABLE[permission]:
        assert response.status_code in (200, 303), response.text[:500]
        assert written == 1
    else:
        assert response.status_code == 403
        assert written == 0 and count(db, AuditEntry) == audit_before
