"""How many requests one worker runs at once (Settings.request_threads, docs/performance.md)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from kanvaro.actions import auth
from kanvaro.models import UserSession
from kanvaro.settings import POSTGRES_THREADS, SQLITE_THREADS, Settings
from kanvaro.web import base
from tests.factories import PASSWORD


def test_request_threads_follow_the_database_unless_set():
    sqlite = Settings.from_env({"KANVARO_DATA_DIR": "/tmp/x"})
    postgres = Settings.from_env({"KANVARO_DATABASE_URL": "postgresql+psycopg://u@h/db"})
    assert sqlite.request_threads() == SQLITE_THREADS == 1
    assert postgres.request_threads() == POSTGRES_THREADS
    chosen = Settings.from_env({"KANVARO_DATA_DIR": "/tmp/x", "KANVARO_THREADS": "3"})
    assert chosen.request_threads() == 3


def test_a_worker_runs_at_most_request_threads_requests_at_once(browser, settings, monkeypatch):
    running, peak, lock = [0], [0], threading.Lock()
    handle = base._handle

    def slow_handle(*args, **kwargs):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        try:
            time.sleep(0.05)
            return handle(*args, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(base, "_handle", slow_handle)
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: browser.get("/login").status_code, range(8)))
    assert statuses == [200] * 8
    assert peak[0] == settings.request_threads()


def test_a_login_checking_its_password_does_not_hold_up_other_pages(browser, db, owner, monkeypatch):
    """The password check runs on threads of its own: with one request thread (SQLite), a
    page asked for during a login is answered before the login is."""
    checking, release = threading.Event(), threading.Event()
    verify = auth.verify_password

    def slow_verify(password_hash, password):
        checking.set()
        assert release.wait(10), "the test never released the login"
        return verify(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", slow_verify)
    with ThreadPoolExecutor(1) as pool:
        login = pool.submit(browser.post, "/login", {"email": owner.email, "password": PASSWORD})
        assert checking.wait(10)
        page = browser.get("/login")
        still_checking = not login.done()
        release.set()
        answer = login.result(10)
    assert page.status_code == 200 and "<h1" in page.text
    assert still_checking
    assert answer.status_code == 303 and answer.headers["location"] == "/projects"
    db.expire_all()
    assert db.scalar(select(UserSession.id).where(UserSession.user_id == owner.id)) is not None
