"""Every route of the app, walked: each POST goes through an action with a permission check.

The routes come from the running app's own route table (create_app), not from a list kept
here, so a new POST route fails these tests until it is in POSTS below with how to call it,
and then it must: go through the @view wrapper, call into kanvaro.actions without writing to
the database itself, call `require` from inside an action, refuse every role lacking the
permission it checked (403, nothing written), and send anonymous users to the login page.
Only the routes in PERMISSION_FREE skip the permission part, each with its reason.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import re
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel
from starlette.routing import BaseRoute, Mount, Route

from kanvaro import permissions, security
from kanvaro import routes as route_table
from kanvaro.attachments.models import Attachment, Blob
from kanvaro.comments.models import Comment
from kanvaro.models import CustomRole, Invitation, Notification, Story, Task
from kanvaro.permissions import ROLES, role_permissions
from kanvaro.security import new_token, token_hash
from kanvaro.tokens.models import ApiToken
from tests.factories import make_org, make_project, make_token, make_user, now
from tests.imports.helpers import make_import
from tests.reliability.conftest import PAGE_ANSWERS, READ_ONLY_POSTS, feed_token
from tests.webhooks.factories import make_webhook

# Routes that are not the app's @view functions, with the reason.
NOT_VIEWS = {
    "/healthz": "plain health probe: reads SELECT 1, no session, no writes",
    "/static": "static files mount",
    "/api/v1": "the JSON API mount (bearer tokens, no cookie, no CSRF): tests/api/test_api_walk.py",
}
API = "/api/v1"

# POST routes without a permission check, with the reason. Everything else needs one.
PERMISSION_FREE = {
    "/register": "anyone may create an organization (signup; closed by KANVARO_ALLOW_SIGNUP=0)",
    "/login": "the person is not logged in yet: the password is the check",
    "/logout": "ends one's own session only",
    "/account/password": "changes one's own password: the current password is the check",
    "/account/sessions/end-others": "ends one's own other sessions only",
    "/account/theme": "sets one's own theme only",
    "/account/handle": "sets one's own handle only (unique in the organization)",
    "/invitations/{token}": "the invited person has no account yet: the secret token is the check",
    "/tasks/{task_id}/watch": "anyone who can see the task (SPEC 8): its loader is the check",
    "/tasks/{task_id}/unwatch": "anyone who can see the task (SPEC 8): its loader is the check",
    "/notifications/{notification_id}/read": "one's own notification only: its loader is the check",
    "/notifications/read-all": "reads one's own notifications only",
    "/account/notifications": "sets one's own mail settings only",
    "/account/tokens": "a token acts as its person with their permissions, never more (SPEC 13)",
    "/account/tokens/{token_id}/revoke": "one's own token only: its loader is the check",
    "/account/calendar": "makes one's own calendar links; a feed checks its person's permissions "
                         "on every request (SPEC 13)",
    "/account/calendar/revoke": "turns off one's own calendar links only",
}
# Permission-free routes of one's own things, walked as the viewer (who holds the fewest).
AS_VIEWER = {"/tasks/{task_id}/watch", "/tasks/{task_id}/unwatch",
             "/notifications/{notification_id}/read", "/notifications/read-all",
             "/account/notifications", "/account/handle", "/account/tokens",
             "/account/tokens/{token_id}/revoke", "/account/calendar", "/account/calendar/revoke"}


# --------------------------------------------------------------------------- the app's routes


def walk(routes: list[BaseRoute], prefix: str = "") -> list[tuple[str, BaseRoute]]:
    out: list[tuple[str, BaseRoute]] = []
    for route in routes:
        path = prefix + getattr(route, "path", "")
        out.append((path, route))
        if isinstance(route, Mount):
            out.extend(walk(list(route.routes or []), path))
    return out


def plain_path(path: str) -> str:
    """/projects/{project_id:int} -> /projects/{project_id}"""
    return re.sub(r"\{(\w+)(:\w+)?\}", r"{\1}", path)


def app_routes(app: Any) -> list[tuple[str, str, Route]]:
    """(method, path, route) for every method of every route the app serves."""
    out = []
    for path, route in walk(app.routes):
        if isinstance(route, Route) and not path.startswith(API + "/"):
            for method in sorted(route.methods or {"GET"}):
                if method != "HEAD":
                    out.append((method, plain_path(path), route))
    return out


# --------------------------------------------------------------------------- a world to act on


@dataclass
class World:
    org: Any
    users: dict[str, Any]  # role -> user, everyone a member of the project
    target: Any  # a viewer to change the role of or deactivate
    project: Any
    story: Story
    task: Task
    invitation: Invitation
    token: str
    role: CustomRole
    comment: Comment  # the owner's, on `task`
    attachment: Attachment  # uploaded to `task` by `target`, so others need task:delete
    notification_id: int = 0  # the viewer's, unread: of the owner's comment on `task`
    token_id: int = 0  # the viewer's personal access token
    feed_token: str = ""  # the owner's calendar link secret (the viewer has one too)
    import_id: int = 0  # the owner's import into `project`, waiting for its mapping
    webhook_id: int = 0  # the organization's webhook, with one delivery
    delivery_id: int = 0

    @property
    def owner(self) -> Any:
        return self.users["owner"]

    def ids(self) -> dict[str, Any]:
        return {
            "project_id": self.project.id, "task_id": self.task.id, "story_id": self.story.id,
            "invitation_id": self.invitation.id, "token": self.token, "user_id": self.target.id,
            "role_id": self.role.id, "comment_id": self.comment.id,
            "attachment_id": self.attachment.id, "notification_id": self.notification_id,
            "token_id": self.token_id, "feed_token": self.feed_token,
            "webhook_id": self.webhook_id, "delivery_id": self.delivery_id,
            "import_id": self.import_id,
        }

    def url(self, path: str) -> str:
        ids = self.ids()

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            assert name in ids, f"World.ids() has no value for the path parameter {name!r} of {path}"
            return str(ids[name])

        return re.sub(r"\{(\w+)\}", fill, path)


def make_world(db: Any, name: str) -> World:
    org = make_org(db, name)
    tag = name.lower()
    users = {role: make_user(db, org, role=role, name=f"{ROLES[role]} {name}",
                             email=f"{role}@{tag}.test") for role in ROLES}
    target = make_user(db, org, role="viewer", name=f"Target {name}", email=f"target@{tag}.test")
    project = make_project(db, org, name=f"Project {name}", creator=users["owner"],
                           members=list(users.values()))
    story = Story(organization_id=org.id, project_id=project.id, title="Story")
    project.task_seq += 1
    task = Task(organization_id=org.id, project_id=project.id, number=project.task_seq,
                title="Task", position=1)
    project.task_seq += 1  # ranked above `task`, so that moving `task` to the top changes a row
    ahead = Task(organization_id=org.id, project_id=project.id, number=project.task_seq,
                 title="Task ahead", position=0)
    role = CustomRole(organization_id=org.id, name="Auditor", permissions=["audit:read"])
    token = new_token()
    invitation = Invitation(organization_id=org.id, email=f"invited@{tag}.test", role="viewer",
                            token_hash=token_hash(token), invited_by_id=users["owner"].id,
                            created_at=now(), expires_at=now() + timedelta(days=7))
    db.add_all([story, task, ahead, role, invitation])
    db.flush()
    comment = Comment(organization_id=org.id, task_id=task.id, author_id=users["owner"].id,
                      body="A comment", created_at=now())
    task.comment_count = 1
    db.add(comment)
    blob = Blob(organization_id=org.id, sha256=hashlib.sha256(b"hello").hexdigest(), size=5,
                content=b"hello")
    attachment = Attachment(organization_id=org.id, task_id=task.id, uploader_id=target.id,
                            filename="notes.txt", size=5, content_type="text/plain",
                            sha256=blob.sha256, created_at=now())
    db.add_all([blob, attachment])
    db.flush()
    note = Notification(organization_id=org.id, user_id=users["viewer"].id, kind="commented",
                        task_id=task.id, actor_id=users["owner"].id, created_at=now())
    db.add(note)
    db.flush()
    api_token = db.scalar(select(ApiToken.id).where(
        ApiToken.token_hash == token_hash(make_token(db, users["viewer"]))))
    feed = feed_token(db, users["owner"])
    feed_token(db, users["viewer"])  # so that turning it off writes
    hook, delivery = make_webhook(db, org, users["owner"])
    imported = make_import(db, org, project, users["owner"])
    return World(org, users, target, project, story, task, invitation, token, role, comment,
                 attachment, notification_id=note.id, token_id=api_token,  # type: ignore[arg-type]
                 import_id=imported.id,  # type: ignore[arg-type]
                 feed_token=feed, webhook_id=hook.id, delivery_id=delivery.id)  # type: ignore[arg-type]


@pytest.fixture
def worlds(db) -> tuple[World, World]:
    """Two identical organizations: one to succeed in, one to be refused in."""
    pair = make_world(db, "Alpha"), make_world(db, "Beta")
    db.commit()
    return pair


# --------------------------------------------------------------------------- how to call each POST

Payload = Callable[[World], Any]

POSTS: dict[str, Payload] = {
    "/register": lambda w: {"organization_name": "Newco", "name": "Nia", "email": "nia@newco.test",
                            "password": "long enough pw"},
    "/login": lambda w: {"email": w.owner.email, "password": "correct horse battery"},
    "/logout": lambda w: {},
    "/account/password": lambda w: {"current_password": "correct horse battery",
                                    "new_password": "another long password"},
    "/account/sessions/end-others": lambda w: {},
    "/account/theme": lambda w: {"theme": "dark"},
    "/account/handle": lambda w: {"handle": "walked.handle"},
    "/markdown/preview": lambda w: {"text": "**walked** @owner", "project_id": str(w.project.id)},
    "/account/notifications": lambda w: {"mail": "assigned"},
    "/tasks/{task_id}/watch": lambda w: {},
    "/tasks/{task_id}/unwatch": lambda w: {},
    "/notifications/{notification_id}/read": lambda w: {},
    "/notifications/read-all": lambda w: {},
    "/projects": lambda w: {"name": "Walked", "status": "planning", "priority": "low"},
    "/projects/{project_id}": lambda w: [
        ("name", "Renamed"), ("status", "active"), ("priority", "high"),
        *(("members", str(u.id)) for u in w.users.values())],
    "/projects/{project_id}/delete": lambda w: {},
    "/projects/{project_id}/tasks": lambda w: {"title": "New task", "priority": "high"},
    "/projects/{project_id}/stories": lambda w: {"title": "New story", "priority": "high"},
    "/tasks/{task_id}": lambda w: {"title": "Renamed task", "priority": "low", "status": "review"},
    "/tasks/{task_id}/status": lambda w: {"status": "in-progress"},
    "/tasks/{task_id}/move": lambda w: {"to": "top", "view": "board"},
    "/tasks/{task_id}/delete": lambda w: {},
    "/stories/{story_id}": lambda w: {"title": "Renamed story", "priority": "low", "status": "todo"},
    "/stories/{story_id}/delete": lambda w: {},
    "/team/invitations": lambda w: {"email": "walk-new@example.com", "role": "viewer"},
    "/team/invitations/{invitation_id}/revoke": lambda w: {},
    "/invitations/{token}": lambda w: {"name": "Ivy", "password": "long enough pw"},
    "/team/members/{user_id}/role": lambda w: {"role": "client", "custom_role": ""},
    "/team/members/{user_id}/deactivate": lambda w: {},
    "/team/roles": lambda w: {"name": "Planner", "permissions": "project:create"},
    "/team/roles/{role_id}": lambda w: {"name": "Auditors", "permissions": "audit:read"},
    "/team/roles/{role_id}/delete": lambda w: {},
    "/tasks/{task_id}/comments": lambda w: {"body": "A walked comment"},
    "/comments/{comment_id}": lambda w: {"body": "A walked edit", "version": "1"},
    "/comments/{comment_id}/delete": lambda w: {},
    "/tasks/{task_id}/attachments": lambda w: {"file": ("walked.txt", b"walked", "text/plain")},
    "/attachments/{attachment_id}/delete": lambda w: {},
    "/projects/{project_id}/import": lambda w: {"file": ("walked.csv", b"Title\nA walked row\n", "text/csv")},
    "/imports/{import_id}": lambda w: {"map_0": "title", "map_1": "ignore"},
    "/imports/{import_id}/run": lambda w: {"map_0": "ignore", "map_1": "title"},
    "/account/tokens": lambda w: {"name": "Walked token", "scope": "write", "expires_in_days": "30"},
    "/account/tokens/{token_id}/revoke": lambda w: {},
    "/account/calendar": lambda w: {},
    "/account/calendar/revoke": lambda w: {},
    "/settings/webhooks": lambda w: [("url", "https://93.184.216.34/walked"),
                                     ("events", "task.created"), ("events", "comment.created"),
                                     ("secret", "walked secret")],
    "/settings/webhooks/{webhook_id}/delete": lambda w: {},
    "/settings/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver": lambda w: {},
}
CHECKED_POSTS = sorted(set(POSTS) - set(PERMISSION_FREE) - set(READ_ONLY_POSTS))
# Checked POSTs a client may make (every other checked POST refuses a client), with the reason.
CLIENTS_MAY = {
    "/tasks/{task_id}/comments": "clients comment on the tasks they see (SPEC §8, comment:create)",
    "/comments/{comment_id}": "a client edits their own comment (comment:create, author only)",
    "/comments/{comment_id}/delete": "a client deletes their own comment (comment:create, author only)",
}


def dump(engine: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    with engine.connect() as conn:
        return {
            table.name: [tuple(row) for row in conn.execute(
                select(table).order_by(*table.primary_key.columns))]
            for table in SQLModel.metadata.sorted_tables
        }


def changed_tables(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> list[str]:
    return [name for name in before if before[name] != after[name]]


@pytest.fixture
def recorded(monkeypatch) -> list[tuple[str, str]]:
    """(calling module, permission) for every `require` call, wherever it was imported."""
    calls: list[tuple[str, str]] = []
    original = permissions.require

    def recording(actor: Any, permission: str) -> None:
        calls.append((sys._getframe(1).f_globals.get("__name__", "?"), permission))
        original(actor, permission)

    for module in list(sys.modules.values()):
        if (getattr(module, "__name__", "") or "").startswith("kanvaro") \
                and getattr(module, "require", None) is original:
            monkeypatch.setattr(module, "require", recording)
    return calls


# --------------------------------------------------------------------------- the table itself


def test_the_app_serves_exactly_the_route_table(app):
    served = {(m, p) for m, p, _ in app_routes(app)}
    listed = {(m, plain_path(r.path)) for r in route_table.ROUTES
              for m in (r.methods or {"GET"}) if m != "HEAD"}
    assert listed <= served
    extra = {p for _, p in served - listed}
    assert extra <= set(NOT_VIEWS), f"routes outside kanvaro.web.routes: {extra}"
    mounted = {plain_path(p) for p, r in walk(app.routes) if isinstance(r, Mount)}
    assert mounted <= set(NOT_VIEWS)


def test_every_post_route_has_a_row_here(app):
    posts = {p for m, p, _ in app_routes(app) if m == "POST"}
    assert posts - set(POSTS) == set(), "new POST routes: add them to POSTS (and check them)"
    assert set(POSTS) - posts == set(), "POSTS names routes the app no longer serves"
    assert set(PERMISSION_FREE) <= posts


def test_every_route_goes_through_the_view_wrapper(app):
    for method, path, route in app_routes(app):
        if path in NOT_VIEWS:
            continue
        assert hasattr(route.endpoint, "__wrapped__"), f"{method} {path} is not wrapped by @view()"


def _actions_called(fn: Callable[..., Any]) -> list[str]:
    """Functions of kanvaro.<area>.actions the route function calls by name."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    scope = fn.__globals__
    called = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        target: Any = None
        if isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
            owner = scope.get(node.func.value.id)
            if isinstance(owner, ModuleType):
                target = getattr(owner, node.func.attr, None)
        elif isinstance(node.func, ast.Name):
            target = scope.get(node.func.id)
        module = getattr(target, "__module__", "") or ""
        if callable(target) and module.endswith(".actions"):
            called.append(f"{module}.{target.__name__}")
    return called


SESSION_WRITES = {"add", "add_all", "delete", "merge", "flush", "commit", "bulk_save_objects"}
DML = {"insert", "update", "delete"}


def _writes_in(source: str) -> list[str]:
    """Database writes in a route module's own source: DML imports or session mutations."""
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            found += [f"imports sqlalchemy.{a.name}" for a in node.names if a.name in DML]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in SESSION_WRITES:
            receiver = ast.unparse(node.func.value)
            if receiver == "db" or receiver.endswith((".db", "session")):
                found.append(f"line {node.lineno}: {ast.unparse(node.func)}(...)")
    return found


def test_every_post_route_calls_an_action_and_writes_nothing_itself(app):
    for method, path, route in app_routes(app):
        if method != "POST":
            continue
        fn = route.endpoint.__wrapped__
        assert path in READ_ONLY_POSTS or _actions_called(fn), f"POST {path} ({fn.__module__}.{fn.__name__}) calls no action"
        assert _writes_in(inspect.getsource(sys.modules[fn.__module__])) == [], f"{fn.__module__} writes to the database"


def test_the_static_checks_would_see_a_route_that_writes_itself():
    source = ("from sqlalchemy import insert, select\n"
              "def route(web):\n    web.db.add(1)\n    web.ctx.db.execute(insert(X))\n    db.flush()\n")
    assert _writes_in(source) == ["imports sqlalchemy.insert", "line 3: web.db.add(...)",
                                  "line 5: db.flush(...)"]


# --------------------------------------------------------------------------- walking the POSTs


@pytest.mark.parametrize("path", CHECKED_POSTS)
def test_post_route_checks_a_permission_in_an_action_and_refusals_write_nothing(
    path, worlds, browser, engine, recorded
):
    alpha, beta = worlds

    # 1. The owner succeeds, through `require` called from an action, and something is written.
    browser.login_as(alpha.owner)
    before = dump(engine)
    recorded.clear()
    response = browser.post(alpha.url(path), POSTS[path](alpha))
    assert response.status_code == 303, f"owner: POST {path} -> {response.status_code}\n{response.text[:400]}"
    assert changed_tables(before, dump(engine)), f"POST {path} succeeded but wrote nothing"
    from_actions = [(m, p) for m, p in recorded if m.endswith(".actions")]
    assert from_actions, f"POST {path} never called require() from an action: {recorded}"
    needed = {p for _, p in from_actions}

    # 2. Every role lacking one of those permissions is refused in the other organization, and
    #    nothing is written. A viewer is refused every checked POST, a client all but CLIENTS_MAY.
    refused = [r for r in ROLES if not needed <= role_permissions(r)]
    must_refuse = {"viewer"} if path in CLIENTS_MAY else {"client", "viewer"}
    assert must_refuse <= set(refused), f"{path} needs only {needed}"
    for role in refused:
        browser.login_as(beta.users[role])
        before = dump(engine)
        response = browser.post(beta.url(path), POSTS[path](beta))
        assert response.status_code == 403, f"{role}: POST {path} -> {response.status_code}"
        assert changed_tables(before, dump(engine)) == [], f"{role}: refused POST {path} wrote"

    # 3. Not logged in: to the login page, nothing written.
    browser.session_token = ""
    browser._set_cookie()
    before = dump(engine)
    response = browser.post(beta.url(path), POSTS[path](beta))
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert changed_tables(before, dump(engine)) == []

    # 4. Another organization's owner gets 404 for ids of this one, and nothing is written.
    if re.search(r"\{\w+\}", path):
        browser.login_as(alpha.owner)
        before = dump(engine)
        response = browser.post(beta.url(path), POSTS[path](beta))
        assert response.status_code == 404, f"foreign ids: POST {path} -> {response.status_code}"
        assert changed_tables(before, dump(engine)) == []


@pytest.mark.parametrize("path", sorted(PERMISSION_FREE))
def test_permission_free_post_routes_work_without_a_permission(path, worlds, browser, engine, recorded):
    """They are free of permission checks on purpose: each works for someone who holds none."""
    alpha, _ = worlds
    if path in ("/logout", "/account/password", "/account/sessions/end-others", "/account/theme") \
            or path in AS_VIEWER:
        browser.login_as(alpha.users["viewer"])
    before = dump(engine)
    response = browser.post(alpha.url(path), POSTS[path](alpha))
    assert response.status_code == (200 if path in PAGE_ANSWERS else 303), (
        f"POST {path} -> {response.status_code}\n{response.text[:400]}")
    assert changed_tables(before, dump(engine))


@pytest.mark.parametrize("path", sorted(POSTS))
def test_the_post_routes_that_hash_passwords_run_on_the_password_threads(
    path, worlds, browser, app, monkeypatch
):
    """A route doing argon2 work must say so (@view(password=True)), and only such a route:
    the request threads are few (docs/performance.md, "Threads")."""
    alpha, _ = worlds
    hasher, calls = security._hasher, []

    class Recording:
        def __getattr__(self, name: str) -> Any:
            if name in ("hash", "verify"):
                calls.append(name)
            return getattr(hasher, name)

    monkeypatch.setattr(security, "_hasher", Recording())
    if path not in PERMISSION_FREE:
        browser.login_as(alpha.owner)
    elif path in ("/logout", "/account/password", "/account/theme") or path in AS_VIEWER:
        browser.login_as(alpha.users["viewer"])
    response = browser.post(alpha.url(path), POSTS[path](alpha))
    assert response.status_code == (200 if path in READ_ONLY_POSTS or path in PAGE_ANSWERS else 303), (
        f"POST {path} -> {response.status_code}")
    route = next(r for m, p, r in app_routes(app) if m == "POST" and p == path)
    assert route.endpoint.password_threads == bool(calls), f"POST {path}: argon2 calls {calls}"


@pytest.mark.parametrize("path", sorted(READ_ONLY_POSTS))
def test_read_only_post_routes_answer_every_role_and_write_nothing(path, worlds, browser, engine):
    """No permission, no row: each role gets its answer (200) and nothing changes; anonymous
    users go to the login page."""
    alpha, _ = worlds
    assert path in POSTS
    for role in ROLES:
        browser.login_as(alpha.users[role])
        before = dump(engine)
        response = browser.post(alpha.url(path), POSTS[path](alpha))
        assert response.status_code == 200, f"{role}: POST {path} -> {response.status_code}"
        assert changed_tables(before, dump(engine)) == [], f"{role}: POST {path} wrote"
    browser.session_token = ""
    browser._set_cookie()
    response = browser.post(alpha.url(path), POSTS[path](alpha))
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_no_get_route_writes(worlds, browser, engine, app):
    """GET is safe: walking every page as the owner, then anonymously, changes no row."""
    alpha, _ = worlds
    gets = sorted({p for m, p, _ in app_routes(app) if m == "GET" and p not in NOT_VIEWS})
    browser.login_as(alpha.owner)
    for anonymous in (False, True):
        if anonymous:
            browser.session_token = ""
            browser._set_cookie()
        before = dump(engine)
        for path in gets:
            response = browser.get(alpha.url(path))
            assert response.status_code in (200, 303), f"GET {path} -> {response.status_code}"
        assert changed_tables(before, dump(engine)) == []


# --------------------------------------------------------------------------- the questions

# GET pages that ask before the destructive POST of the same address (issue 11, docs/decisions.md):
# found in the route table, so a new one is walked here as soon as it exists.
QUESTIONS = sorted({
    plain_path(r.path) for r in route_table.ROUTES
    if isinstance(r, Route) and "GET" in (r.methods or ())
    and r.path.rsplit("/", 1)[-1] in ("delete", "deactivate")
    and any(isinstance(o, Route) and o.path == r.path and "POST" in (o.methods or ())
            for o in route_table.ROUTES)
})


def test_the_question_pages_are_found():
    assert {"/projects/{project_id}/delete", "/team/members/{user_id}/deactivate",
            "/team/roles/{role_id}/delete"} <= set(QUESTIONS)


@pytest.mark.parametrize("path", QUESTIONS)
def test_a_question_page_asks_only_those_its_post_lets_through(path, worlds, browser, engine, recorded):
    """The same permission as its POST (403 for the roles lacking it), and 404 across tenants."""
    alpha, beta = worlds
    browser.login_as(alpha.owner)
    recorded.clear()
    assert browser.get(alpha.url(path)).status_code == 200
    asked = {p for _, p in recorded}
    recorded.clear()
    assert browser.post(alpha.url(path), POSTS[path](alpha)).status_code == 303
    needed = {p for m, p in recorded if m.endswith(".actions")}
    assert needed and needed <= asked, f"GET {path} checks {asked}, its POST {needed}"

    for role in [r for r in ROLES if not needed <= role_permissions(r)]:
        browser.login_as(beta.users[role])
        response = browser.get(beta.url(path))
        assert response.status_code == 403, f"{role}: GET {path} -> {response.status_code}"

    browser.login_as(alpha.owner)  # the other organization's ids
    assert browser.get(beta.url(path)).status_code == 404
