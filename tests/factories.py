"""Test factories: rows straight into the database, and a logged-in client."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from kanvaro.context import Ctx
from kanvaro.models import Organization, Project, ProjectMember, User, UserSession
from kanvaro.permissions import Actor
from kanvaro.security import (
    SESSION_COOKIE,
    CookieSigner,
    hash_password,
    mask_csrf,
    new_csrf_secret,
    new_token,
    token_hash,
)
from kanvaro.settings import Settings

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


@lru_cache(maxsize=1)
def password_hash() -> str:
    return hash_password(PASSWORD)


def now() -> datetime:
    return datetime.now(UTC)


def make_org(db: Session, name: str | None = None) -> Organization:
    org = Organization(name=name or f"Org {next(_seq)}")
    db.add(org)
    db.flush()
    return org


def make_user(
    db: Session, org: Organization, *, role: str = "team_member", email: str | None = None,
    name: str | None = None, active: bool = True, custom_role_id: int | None = None,
) -> User:
    n = next(_seq)
    user = User(organization_id=org.id, name=name or f"User {n}", email=email or f"user{n}@example.com",
                password_hash=password_hash(), role=role, is_active=active,
                custom_role_id=custom_role_id)
    db.add(user)
    db.flush()
    return user


def make_project(
    db: Session, org: Organization, *, members: list[User] = (), name: str | None = None,  # type: ignore[assignment]
    creator: User | None = None, **values: Any,
) -> Project:
    org.project_seq += 1
    project = Project(organization_id=org.id, number=org.project_seq, name=name or f"Project {next(_seq)}",
                      created_by_id=creator.id if creator else None, **values)
    db.add(project)
    db.flush()
    for user in {u.id: u for u in [*members, *([creator] if creator else [])]}.values():
        db.add(ProjectMember(organization_id=org.id, project_id=project.id, user_id=user.id))
    db.flush()
    return project


def actor_of(user: User, custom: list[str] | None = None) -> Actor:
    assert user.id is not None
    return Actor.build(id=user.id, organization_id=user.organization_id, name=user.name,
                       email=user.email, role=user.role, custom_permissions=custom or [])


class DirectCtx(Ctx):
    """A Ctx for action tests, which run outside a unit of work: what a refusal keeps
    (ctx.keep) is written at once, in the test's transaction. Through HTTP, kanvaro.uow writes
    it in a transaction of its own after the refused one rolled back (tests/web)."""

    def keep(self, write):  # type: ignore[no-untyped-def]
        write(self)


def make_ctx(db: Session, user: User | None, settings: Settings) -> Ctx:
    return DirectCtx(db=db, actor=actor_of(user) if user else None, now=now(), settings=settings,
                     request_id="test", client_addr="127.0.0.1")


class Browser:
    """A TestClient with a known CSRF secret, so tests can post without scraping pages."""

    def __init__(self, client: TestClient, settings: Settings, engine: Engine) -> None:
        self.client = client
        self.settings = settings
        self.engine = engine
        self.signer = CookieSigner(settings.resolved_secret_key())
        self.csrf_secret = new_csrf_secret()
        self.session_token = ""
        self._set_cookie()

    def _set_cookie(self) -> None:
        self.client.cookies.set(SESSION_COOKIE, self.signer.dumps({"s": self.session_token, "c": self.csrf_secret}))

    @property
    def csrf(self) -> str:
        return mask_csrf(self.csrf_secret)

    def login_as(self, user: User) -> Browser:
        """Create a session row for user directly (no password round trip)."""
        token = new_token()
        with Session(self.engine) as db:
            db.execute(insert(UserSession).values(user_id=user.id, token_hash=token_hash(token),
                                                  created_at=now(), last_seen_at=now()))
            db.commit()
        self.session_token = token
        self._set_cookie()
        return self

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, follow_redirects=False, **kwargs)

    def post(self, url: str, data: Any = None, *, htmx: bool = False, csrf: bool = True,
             headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        payload: Any = dict(data or {}) if not isinstance(data, list) else list(data)
        if csrf:
            if isinstance(payload, list):
                payload.append(("csrf_token", self.csrf))
            else:
                payload["csrf_token"] = self.csrf
        if isinstance(payload, list):  # httpx wants repeated fields as a dict of lists
            grouped: dict[str, list[Any]] = {}
            for key, value in payload:
                grouped.setdefault(key, []).append(value)
            payload = grouped
        hdrs = dict(headers or {})
        if htmx:
            hdrs["HX-Request"] = "true"
        # A value (filename, bytes, type) is a file: the body goes as multipart (uploads).
        files = {k: v for k, v in payload.items() if isinstance(v, tuple)} if isinstance(payload, dict) else {}
        if files:
            payload = {k: v for k, v in payload.items() if k not in files}
            kwargs["files"] = {**files, **kwargs.get("files", {})}
        return self.client.post(url, data=payload, headers=hdrs, follow_redirects=False, **kwargs)


def latest_mail_token(db: Session, secret_key: str = "test-secret-key") -> str:
    """The secret the sender will put into the newest outbox mail (an invitation token).

    The row holds only a placeholder and the nonce (kanvaro.mail_secrets), so the token is
    derived here as the sender derives it; the default key is the suite's (tests/conftest.py)."""
    from sqlalchemy import select

    from kanvaro import mail_secrets
    from kanvaro.models import EmailOutbox

    db.rollback()  # end the read snapshot: see what the app committed
    mail = db.scalars(select(EmailOutbox).order_by(EmailOutbox.id.desc())).first()  # type: ignore[union-attr]
    assert mail is not None and mail.secret_purpose, "the newest mail carries no secret"
    return mail_secrets.derive(secret_key, mail.secret_purpose, mail.secret_nonce)


def assign(db: Session, task: Any, *users: Any) -> None:
    """Add users (rows or ids) to a task's assignees, straight into task_assignee."""
    from kanvaro.tasks.models import TaskAssignee

    for user in users:
        db.add(TaskAssignee(task_id=task.id, user_id=getattr(user, "id", user),
                            organization_id=task.organization_id))
    db.flush()


def assignee_ids(db: Session, task_id: int) -> list[int]:
    """A task's assignees' ids, sorted, as committed (the test session's snapshot ended)."""
    from sqlalchemy import select

    from kanvaro.tasks.models import TaskAssignee

    db.commit()
    return sorted(db.scalars(select(TaskAssignee.user_id).where(TaskAssignee.task_id == task_id)))


def make_token(db: Session, user: Any, *, scope: str = "write", days: int = 30,
               revoked: bool = False) -> str:
    """A personal access token of `user`, straight into api_token; returns the raw token."""
    from datetime import timedelta

    from kanvaro.security import token_hash
    from kanvaro.tokens.auth import new_token
    from kanvaro.tokens.models import ApiToken

    raw = new_token()
    at = now()
    db.add(ApiToken(organization_id=user.organization_id, user_id=user.id, name="test",
                    scope=scope, token_hash=token_hash(raw), created_at=at,
                    expires_at=at + timedelta(days=days), revoked_at=at if revoked else None))
    db.flush()
    return raw
