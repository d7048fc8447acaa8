"""How many requests one worker runs at once (Settings.request_threads, docs/performance.md)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from kanvaro import security
from kanvaro.inputs import parse
from kanvaro.models import AuditEntry, Invitation, Task, User
from kanvaro.security import new_token, token_hash
from kanvaro.settings import POSTGRES_THREADS, SQLITE_THREADS, Settings
from kanvaro.tasks import actions as task_actions
from kanvaro.tasks.forms import NewTask
from kanvaro.web import view as base
from tests.factories import PASSWORD, now


def test_request_threads_follow_the_database_unless_set():
    sqlite = Settings.from_env({"KANVARO_DATA_DIR": "/tmp/x"})
    postgres = Settings.from_env({"KANVARO_DATABASE_URL": "postgresql+psycopg://u@h/db"})
    assert sqlite.request_threads() == SQLITE_THREADS == 1
    assert postgres.request_threads() == POSTGRES_THREADS
    chosen = Settings.from_env({"KANVARO_DATA_DIR": "/tmp/x", "KANVARO_THREADS": "3"})
    assert chosen.request_threads() == 3


def test_a_worker_runs_at_most_request_threads_requests_at_once(browser, settings, monkeypatch):
    running, peak, changed = [0], [0], threading.Condition()
    handle, limit = base._handle, settings.request_threads()

    def slow_handle(*args, **kwargs):
        with changed:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
            changed.notify_all()
            # Hold on until the limit's worth of requests run together (or it is clear they
            # never will), so the peak does not depend on how fast the threads start.
            changed.wait_for(lambda: running[0] >= limit, timeout=2)
        try:
            time.sleep(0.02)
            return handle(*args, **kwargs)
        finally:
            with changed:
                running[0] -= 1

    monkeypatch.setattr(base, "_handle", slow_handle)
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: browser.get("/login").status_code, range(8)))
    assert statuses == [200] * 8
    assert peak[0] == limit


class SlowHasher:
    """argon2 as configured, but each call waits until the test releases it."""

    def __init__(self, hasher):
        self.hasher, self.calls = hasher, []
        self.working, self.release = threading.Event(), threading.Event()

    def __getattr__(self, name):
        method = getattr(self.hasher, name)
        if name not in ("hash", "verify"):
            return method

        def slow(*args):
            self.calls.append(name)
            self.working.set()
            assert self.release.wait(10), "the test never released the password work"
            return method(*args)

        return slow


def test_a_login_checking_its_password_holds_up_no_page_and_no_write(
    browser, db, ctx, owner, project, monkeypatch
):
    """The password check runs on threads of its own and before the write transaction: with
    one request thread (SQLite), a page and a status change asked for during a login are
    answered before the login is. The check runs once; the login itself finds it done."""
    task = task_actions.create_task(ctx, project.id, parse(NewTask, {"title": "Write docs"}))
    db.commit()
    browser.login_as(owner)
    hasher = SlowHasher(security._hasher)
    monkeypatch.setattr(security, "_hasher", hasher)
    with ThreadPoolExecutor(1) as pool:
        login = pool.submit(browser.post, "/login", {"email": owner.email, "password": PASSWORD})
        assert hasher.working.wait(10)
        page = browser.get(f"/projects/{project.id}/board")
        change = browser.post(f"/tasks/{task.id}/status", {"status": "review"}, htmx=True)
        still_checking = not login.done()
        hasher.release.set()
        answer = login.result(10)
    assert page.status_code == 200 and "Launch" in page.text
    assert change.status_code == 200 and 'value="review" aria-pressed="true"' in change.text
    assert still_checking
    assert answer.status_code == 303 and answer.headers["location"] == "/projects"
    assert hasher.calls == ["verify"]
    db.expire_all()
    assert db.get(Task, task.id).status == "review"
    assert db.scalars(select(AuditEntry.action).where(AuditEntry.actor_id == owner.id)
                      .order_by(AuditEntry.id)).all()[-2:] == ["task.status_changed", "user.logged_in"]


@pytest.mark.parametrize("path", ["/register", "/account/password", "/invitations/{token}"])
def test_the_other_password_views_also_hash_ahead_and_once(path, browser, db, org, owner, monkeypatch):
    token = new_token()
    db.add(Invitation(organization_id=org.id, email="ivy@acme.test", role="viewer",
                      token_hash=token_hash(token), invited_by_id=owner.id, created_at=now(),
                      expires_at=now() + timedelta(days=7)))
    db.commit()
    body = {
        "/register": {"organization_name": "Newco", "name": "Nia", "email": "nia@newco.test",
                      "password": "long enough pw"},
        "/account/password": {"current_password": PASSWORD, "new_password": "another long password"},
        "/invitations/{token}": {"name": "Ivy", "password": "long enough pw"},
    }[path]
    if path == "/account/password":
        browser.login_as(owner)
    hasher = SlowHasher(security._hasher)
    hasher.release.set()
    monkeypatch.setattr(security, "_hasher", hasher)
    answer = browser.post(path.replace("{token}", token), body)
    assert answer.status_code == 303
    assert sorted(hasher.calls) == (["hash", "verify"] if path == "/account/password" else ["hash"])
    user = db.scalar(select(User).where(User.email == {"/register": "nia@newco.test",
                                                       "/account/password": owner.email}
                                        .get(path, "ivy@acme.test")))
    db.refresh(user)
    assert security.verify_password(user.password_hash, body.get("password") or body.get("new_password"))
