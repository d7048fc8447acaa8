"""The `kanvaro` command, run as a real process against a fresh data directory."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session
from sqlmodel import SQLModel
from starlette.testclient import TestClient

from kanvaro.app import create_app
from kanvaro.db import make_engine
from kanvaro.models import AuditEntry, Organization, Project, ProjectMember, User
from kanvaro.settings import Settings
from tests.factories import Browser

ROOT = Path(__file__).resolve().parent.parent
_names = itertools.count(1)


def _kanvaro() -> str:
    beside = Path(sys.executable).parent / "kanvaro"
    return str(beside if beside.exists() else ROOT / ".venv" / "bin" / "kanvaro")


@pytest.fixture
def env(tmp_path: Path, pg_server) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A clean environment: a temp data dir, and an empty database on the suite's server."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KANVARO_")}
    clean["KANVARO_DATA_DIR"] = str(tmp_path / "data")
    if pg_server is not None:
        clean["KANVARO_DATABASE_URL"] = pg_server.create_database(f"kanvaro_cli_{next(_names)}")
    return clean


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_kanvaro(), *args], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False)


def settings_of(env: dict[str, str]) -> Settings:
    return Settings.from_env(env)


def test_migrate_creates_every_table_in_the_data_dir(env):
    result = run(env, "migrate")
    assert result.returncode == 0, result.stderr
    assert "database is up to date" in result.stdout
    url = settings_of(env).database_url
    if url.startswith("sqlite"):
        assert (Path(env["KANVARO_DATA_DIR"]) / "kanvaro.db").exists()
    engine = make_engine(url)
    try:
        assert set(SQLModel.metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_create_owner_makes_an_org_and_owner_who_can_log_in(env):
    result = run(env, "create-owner", "--organization", "Initech", "--name", "Bill Lumbergh",
                 "--email", "Bill@Initech.test", "--password", "yeah if you could")
    assert result.returncode == 0, result.stderr
    assert "created organization" in result.stdout
    settings = settings_of(env)
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as db:
            user = db.scalar(select(User))
            assert (user.name, user.email, user.role) == ("Bill Lumbergh", "bill@initech.test", "owner")
            assert user.password_hash.startswith("$argon2id$")
            assert db.get(Organization, user.organization_id).name == "Initech"
            entry = db.scalar(select(AuditEntry))
            assert (entry.action, entry.actor_id) == ("organization.created", user.id)
    finally:
        engine.dispose()
    _assert_can_log_in(settings, "bill@initech.test", "yeah if you could")

    again = run(env, "create-owner", "--organization", "Other", "--name", "Bill",
                "--email", "bill@initech.test", "--password", "another password")
    assert again.returncode == 1 and "already has an account" in again.stderr


def test_create_owner_refuses_a_short_password(env):
    env = {**env, "KANVARO_OWNER_PASSWORD": "short"}
    result = run(env, "create-owner", "--organization", "Initech", "--name", "Bill",
                 "--email", "bill@initech.test")
    assert result.returncode == 1 and "10 characters" in result.stderr
    engine = make_engine(settings_of(env).database_url)
    try:
        with Session(engine) as db:
            assert db.scalar(select(func.count()).select_from(User)) == 0
    finally:
        engine.dispose()


def test_demo_fills_an_organization_and_prints_a_working_login(env):
    result = run(env, "demo")
    assert result.returncode == 0, result.stderr
    match = re.search(r"log in as (\S+) with password (\S+)", result.stdout)
    assert match, result.stdout
    email, password = match.groups()
    people = dict(re.findall(r"^  .+?  (Owner|Admin|Project manager|Team member|Client)\s+(\S+)$",
                             result.stdout, re.MULTILINE))
    assert people["Owner"] == email and len(people) == 5, result.stdout
    settings = settings_of(env)
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as db:
            org = db.scalar(select(Organization))
            assert org.name == "Demo Company"
            projects = list(db.scalars(select(Project).where(Project.organization_id == org.id)))
            assert len(projects) == 4 and org.project_seq == max(p.number for p in projects)
            assert db.scalar(select(func.count()).select_from(User)) == 6
            assert db.scalar(select(func.count()).select_from(ProjectMember)) >= len(projects)
    finally:
        engine.dispose()
    page = _assert_can_log_in(settings, email, password, lands="/my/tasks")  # Maya has tasks
    assert all(name in page for name in ("Website relaunch", "Mobile app", "Office move"))
    # Everyone has the printed password; a client sees only the projects they are on.
    page = _assert_can_log_in(settings, people["Client"], password)
    assert "Website relaunch" in page and "Office move" not in page

    again = run(env, "demo")
    assert again.returncode == 0, again.stderr
    other = re.search(r"log in as (\S+) with password (\S+)", again.stdout).groups()
    assert other[0] != email
    assert "Website relaunch" in _assert_can_log_in(settings, *other, lands="/my/tasks")


def test_create_owner_refuses_an_invalid_email(env):
    result = run(env, "create-owner", "--organization", "Initech", "--name", "Bill",
                 "--email", "not-an-email", "--password", "long enough password")
    assert result.returncode == 1 and "valid email" in result.stderr


def test_unknown_command_fails_with_usage(env):
    result = run(env, "frobnicate")
    assert result.returncode == 2 and "usage: kanvaro" in result.stderr


def _assert_can_log_in(settings: Settings, email: str, password: str, lands: str = "/projects") -> str:
    """Log in through the app on the database the command wrote (landing on `lands`: /my/tasks
    for someone with open tasks, docs/tasks.md); return the projects page."""
    settings = Settings(**{**settings.__dict__, "secret_key": "cli-test-key",
                           "run_mail_sender": False})
    app = create_app(settings)
    try:
        with TestClient(app) as client:
            browser = Browser(client, settings, app.state.kanvaro.engine)
            r = browser.post("/login", {"email": email, "password": password})
            assert (r.status_code, r.headers.get("location")) == (303, lands), r.text
            return client.get("/projects").text
    finally:
        app.state.kanvaro.engine.dispose()
