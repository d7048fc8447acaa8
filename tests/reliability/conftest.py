"""A small world of two organizations, a map from path parameters to its objects, a table dump."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from sqlmodel import SQLModel
from starlette.routing import Route

from kanvaro.models import CustomRole, Invitation, Organization, Story, Task, User
from kanvaro.routes import ROUTES
from tests.factories import make_org, make_project, make_user, now

INVITATION_TOKEN = "tok-" + "x" * 40
# A body that would be accepted by every POST route of the app (checked by the control cases):
# if a guard failed, the request would really write.
UNIVERSAL_BODY = {
    "name": "Changed by the test", "title": "Changed by the test", "description": "changed",
    "status": "completed", "priority": "high", "role": "admin", "custom_role": "",
    "email": "newcomer@example.com", "version": "1", "story_points": "3",
    "permissions": "task:create", "password": "a long enough password",
    "current_password": "correct horse battery", "new_password": "another long password",
    "to": "bottom", "view": "board", "theme": "dark",
}


@dataclass
class World:
    org: Organization          # Acme: the organization under attack
    owner: User                # its owner, who may do everything (control cases)
    member: User               # a team_member in the project (the target of member routes)
    outsider: User             # a team_member of Acme who is not in the project
    project_id: int
    task_id: int
    story_id: int
    invitation_id: int
    role_id: int
    other_org: Organization    # Globex
    intruder: User             # Globex's owner: every permission, in the wrong organization
    other_project_id: int
    other_task_id: int
    other_story_id: int
    other_user_id: int
    other_role_id: int

    def params(self) -> dict[str, Any]:
        """Path parameter name -> the Acme object it names."""
        return {
            "project_id": self.project_id, "task_id": self.task_id, "story_id": self.story_id,
            "invitation_id": self.invitation_id, "user_id": self.member.id, "role_id": self.role_id,
            "token": INVITATION_TOKEN,
        }


def build_world(db: Session) -> World:
    acme = make_org(db, "Acme")
    owner = make_user(db, acme, role="owner", name="Olive Owner", email="olive@acme.test")
    member = make_user(db, acme, role="team_member", name="Mo Member", email="mo@acme.test")
    outsider = make_user(db, acme, role="team_member", name="Otto Outsider", email="otto@acme.test")
    role = CustomRole(organization_id=acme.id, name="Auditor", description="reads",
                      permissions=["audit:read"])
    db.add(role)
    project = make_project(db, acme, members=[owner, member], creator=owner, name="Apollo")
    story = Story(organization_id=acme.id, project_id=project.id, title="Launch", created_by_id=owner.id)
    db.add(story)
    db.flush()
    project.task_seq = 1
    task = Task(organization_id=acme.id, project_id=project.id, number=1, title="Fuel the rocket",
                story_id=story.id, assignee_id=member.id, created_by_id=owner.id, position=1)
    # Ranked below it, so that moving the task to the bottom writes.
    project.task_seq = 2
    db.add_all([task, Task(organization_id=acme.id, project_id=project.id, number=2,
                           title="Count down", position=2)])
    invitation = Invitation(organization_id=acme.id, email="invited@example.com", role="team_member",
                            token_hash=hashlib.sha256(INVITATION_TOKEN.encode()).hexdigest(),
                            invited_by_id=owner.id, created_at=now(),
                            expires_at=now() + timedelta(days=7))
    db.add(invitation)

    globex = make_org(db, "Globex")
    intruder = make_user(db, globex, role="owner", name="Gina Globex", email="gina@globex.test")
    other_user = make_user(db, globex, role="team_member", email="gus@globex.test")
    other_role = CustomRole(organization_id=globex.id, name="Auditor", permissions=["audit:read"])
    db.add(other_role)
    other_project = make_project(db, globex, members=[intruder], creator=intruder, name="Zeus")
    other_story = Story(organization_id=globex.id, project_id=other_project.id, title="Thunder")
    db.add(other_story)
    db.flush()
    other_project.task_seq = 1
    other_task = Task(organization_id=globex.id, project_id=other_project.id, number=1,
                      title="Bolt", position=1)
    db.add(other_task)
    db.flush()
    db.commit()
    ids = [project.id, task.id, story.id, invitation.id, role.id, other_project.id, other_task.id,
           other_story.id, other_user.id, other_role.id]
    assert all(i is not None for i in ids)
    return World(acme, owner, member, outsider, project.id, task.id, story.id,  # type: ignore[arg-type]
                 invitation.id, role.id, globex, intruder, other_project.id,  # type: ignore[arg-type]
                 other_task.id, other_story.id, other_user.id, other_role.id)  # type: ignore[arg-type]


@pytest.fixture
def world(db: Session) -> World:
    return build_world(db)


def app_routes() -> list[tuple[str, str, Route]]:
    """(method, path pattern, route) for every route of the table, HEAD left out."""
    out = []
    for route in ROUTES:
        assert isinstance(route, Route)
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                out.append((method, route.path, route))
    return out


def fill(route: Route, params: dict[str, Any]) -> str:
    """The route's path with its parameters taken from params; a missing mapping fails loudly."""
    missing = set(route.param_convertors) - set(params)
    assert not missing, f"{route.path}: no fixture mapping for path parameter(s) {sorted(missing)}"
    return route.path_format.format(**{k: params[k] for k in route.param_convertors})


def dump(engine: Engine) -> dict[str, list[str]]:
    """Every row of every table, as sorted text: compare two dumps to see any write."""
    out: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            out[table.name] = sorted(repr(tuple(row)) for row in conn.execute(select(table)))
    return out


def diff_dumps(before: dict[str, list[str]], after: dict[str, list[str]]) -> dict[str, Any]:
    return {name: {"gone": sorted(set(before[name]) - set(after[name])),
                   "new": sorted(set(after[name]) - set(before[name]))}
            for name in before if before[name] != after[name]}
