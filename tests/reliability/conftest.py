"""A small world of two organizations, a map from path parameters to its objects, a table dump."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from sqlmodel import SQLModel
from starlette.routing import Route

from kanvaro.attachments.models import Attachment, Blob
from kanvaro.comments.models import Comment
from kanvaro.models import CustomRole, Invitation, Notification, Organization, Story, Task, User
from kanvaro.routes import ROUTES
from kanvaro.security import token_hash
from kanvaro.tokens.models import ApiToken
from tests.factories import assign, make_org, make_project, make_token, make_user, now
from tests.imports.helpers import make_import
from tests.webhooks.factories import make_webhook

INVITATION_TOKEN = "tok-" + "x" * 40


def feed_token(db: Session, user: User) -> str:
    """A calendar link secret of `user`, straight into calendar_token."""
    from kanvaro.calendar.models import CalendarFeedToken
    from kanvaro.security import new_token

    raw = new_token()
    db.add(CalendarFeedToken(organization_id=user.organization_id, user_id=user.id,
                             token_hash=token_hash(raw), created_at=now()))
    db.flush()
    return raw

# A body that would be accepted by every POST route of the app (checked by the control cases):
# if a guard failed, the request would really write.
UNIVERSAL_BODY = {
    "name": "Changed by the test", "title": "Changed by the test", "description": "changed",
    "status": "completed", "priority": "high", "role": "admin", "custom_role": "",
    "email": "newcomer@example.com", "version": "1", "story_points": "3",
    "permissions": "task:create", "password": "a long enough password",
    "current_password": "correct horse battery", "new_password": "another long password",
    "to": "bottom", "view": "board", "theme": "dark", "body": "Changed by the test",
    "handle": "changed.by.test", "text": "Changed by the test",
    "map_0": "title",  # an import's mapping (its columns: Notes, Title)
    "scope": "write", "expires_in_days": "30",
    "url": "https://93.184.216.34/hook", "events": "task.created", "secret": "Changed by the test",
}
# POST routes that change nothing by design (answer 200, write no row), with the reason: the
# suites that expect a write of every accepted POST expect none of these.
READ_ONLY_POSTS = {
    "/markdown/preview": "renders the text sent to look at it before saving; a POST only because "
                         "the text is too long for a URL (it carries the CSRF token like any POST)",
}
# POST routes whose success answers the page itself (200, not a 303), with the reason.
PAGE_ANSWERS = {
    "/account/tokens": "shows the new token once: a redirect would have to carry the secret "
                       "to the next page (a cookie, a URL), where it would stay",
    "/account/calendar": "shows the new calendar links once, for the same reason",
}
# What the routes taking a file get besides (Browser.post sends a body with one as multipart).
FILES = {"/tasks/{task_id:id}/attachments": {"file": ("plan.txt", b"Changed by the test", "text/plain")},
         "/projects/{project_id:id}/import": {"file": ("tasks.csv", b"Title\nChanged by the test\n", "text/csv")}}


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
    comment_id: int = 0        # the owner's comment on `task_id`
    attachment_id: int = 0     # the owner's file on `task_id`
    notification_id: int = 0   # the owner's unread notification, of the member's comment
    import_id: int = 0         # the owner's import into the project, waiting for its mapping
    token_id: int = 0          # the owner's personal access token (only they may revoke it)
    webhook_id: int = 0        # Acme's webhook, with one delivery (webhook:manage, owner and admin)
    delivery_id: int = 0
    # Calendar link secrets by person ("owner", "outsider", "intruder"): a feed's credential.
    feed_tokens: dict[str, str] = field(default_factory=dict)

    def params(self) -> dict[str, Any]:
        """Path parameter name -> the Acme object it names."""
        return {
            "project_id": self.project_id, "task_id": self.task_id, "story_id": self.story_id,
            "invitation_id": self.invitation_id, "user_id": self.member.id, "role_id": self.role_id,
            "token": INVITATION_TOKEN, "comment_id": self.comment_id,
            "attachment_id": self.attachment_id,
            "import_id": self.import_id,
            "notification_id": self.notification_id, "token_id": self.token_id,
            "webhook_id": self.webhook_id, "delivery_id": self.delivery_id,
            "feed_token": self.feed_tokens.get("owner", ""),
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
                story_id=story.id, created_by_id=owner.id, position=1)
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
    assign(db, task, member)
    comment = Comment(organization_id=acme.id, task_id=task.id, author_id=owner.id,
                      body="Fuel is loaded", created_at=now())
    task.comment_count = 1
    db.add(comment)
    db.flush()
    note = Notification(organization_id=acme.id, user_id=owner.id, kind="commented",
                        task_id=task.id, actor_id=member.id, created_at=now())
    db.add(note)
    blob = Blob(organization_id=acme.id, sha256=hashlib.sha256(b"Fuel plan").hexdigest(), size=9,
                content=b"Fuel plan")
    attachment = Attachment(organization_id=acme.id, task_id=task.id, uploader_id=owner.id,
                            filename="fuel.txt", size=9, content_type="text/plain",
                            sha256=blob.sha256, created_at=now())
    db.add_all([blob, attachment])
    db.flush()
    api_token = db.scalar(select(ApiToken.id).where(
        ApiToken.token_hash == token_hash(make_token(db, owner))))
    feeds = {"owner": feed_token(db, owner), "outsider": feed_token(db, outsider),
             "intruder": feed_token(db, intruder)}
    hook, delivery = make_webhook(db, acme, owner)
    imported = make_import(db, acme, project, owner)
    db.commit()
    ids = [project.id, task.id, story.id, invitation.id, role.id, other_project.id, other_task.id,
           other_story.id, other_user.id, other_role.id]
    assert all(i is not None for i in ids)
    return World(acme, owner, member, outsider, project.id, task.id, story.id,  # type: ignore[arg-type]
                 invitation.id, role.id, globex, intruder, other_project.id,  # type: ignore[arg-type]
                 other_task.id, other_story.id, other_user.id, other_role.id,  # type: ignore[arg-type]
                 comment.id, notification_id=note.id, import_id=imported.id,  # type: ignore[arg-type]
                 attachment_id=attachment.id, token_id=api_token,  # type: ignore[arg-type]
                 feed_tokens=feeds, webhook_id=hook.id, delivery_id=delivery.id)  # type: ignore[arg-type]


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
