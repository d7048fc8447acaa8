"""The migrations build exactly the models: autogenerate finds nothing left to do."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

import kanvaro.models  # noqa: F401
from kanvaro.db import make_engine
from kanvaro.migrate import alembic_config, upgrade

_names = itertools.count(1)


@pytest.fixture
def empty_database_url(tmp_path: Path, pg_server) -> str:  # type: ignore[no-untyped-def]
    """A database with no tables at all, on whichever server the suite runs against."""
    if pg_server is None:
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return pg_server.create_database(f"kanvaro_migrate_{next(_names)}")


def _differences(url: str) -> list:  # type: ignore[type-arg]
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                             "compare_server_default": False})
            return list(compare_metadata(context, SQLModel.metadata))
    finally:
        engine.dispose()


def test_upgrade_head_on_an_empty_database_matches_the_models(empty_database_url):
    upgrade(empty_database_url)
    assert _differences(empty_database_url) == []


def test_upgrade_creates_every_table_and_records_the_head(empty_database_url):
    upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        tables = set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    finally:
        engine.dispose()
    assert set(SQLModel.metadata.tables) <= tables
    head = ScriptDirectory.from_config(alembic_config(empty_database_url)).get_current_head()
    assert version == head


def test_upgrade_twice_is_harmless(empty_database_url):
    upgrade(empty_database_url)
    upgrade(empty_database_url)
    assert _differences(empty_database_url) == []


def test_there_is_a_single_head():
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_the_comparison_would_notice_a_missing_table(empty_database_url):
    """The check above can fail: drop a table and the difference shows."""
    upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE login_attempt"))
    finally:
        engine.dispose()
    diffs = _differences(empty_database_url)
    assert any(d[0] == "add_table" and d[1].name == "login_attempt" for d in diffs)


def test_0002_removes_the_tokens_of_delivered_mail_and_keeps_waiting_mail_as_written(empty_database_url):
    """Before 0002 the invitation link was stored in the outbox (issue 9, item 3)."""
    from alembic import command

    from kanvaro.migrate import alembic_config

    command.upgrade(alembic_config(empty_database_url), "0001")
    token = "A" * 20 + "b_c-" + "9" * 19
    link = f"http://kanvaro.test/invitations/{token}"
    engine = make_engine(empty_database_url)
    try:
        with engine.begin() as conn:
            for status in ("sent", "failed", "pending"):
                conn.execute(text(
                    "INSERT INTO email_outbox (\"to\", subject, text_body, html_body, status, attempts, "
                    "last_error, next_attempt_at, created_at) VALUES ('nia@example.com', 'Invitation', "
                    ":text, :html, :status, 0, '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                    {"text": f"Accept here:\n{link}\n", "html": f'<a href="{link}">{link}</a>',
                     "status": status})
        upgrade(empty_database_url)
        with engine.connect() as conn:
            rows = dict(conn.execute(text(
                "SELECT status, text_body || html_body || secret_purpose FROM email_outbox")).all())
    finally:
        engine.dispose()
    assert token not in rows["sent"] and token not in rows["failed"]
    assert "http://kanvaro.test/invitations/[removed]" in rows["sent"]
    assert rows["pending"].count(token) == 3  # still to be delivered, as it was written
    assert _differences(empty_database_url) == []


def test_0005_turns_each_assignee_into_a_row_of_task_assignee_and_back(empty_database_url):
    """Issue 12: task.assignee_id goes; each task keeps its assignee as its first assignee."""
    from alembic import command

    cfg = alembic_config(empty_database_url)
    command.upgrade(cfg, "0004")
    engine = make_engine(empty_database_url)
    now = "2026-11-30 12:00:00"
    try:
        with engine.begin() as conn:
            run = lambda sql, **kw: conn.execute(text(sql), kw)
            run("INSERT INTO organization (id, name, project_seq, created_at) VALUES (1, 'O', 1, :t)", t=now)
            for uid in (1, 2):
                run("INSERT INTO users (id, organization_id, name, email, password_hash, role, is_active, "
                    "created_at) VALUES (:id, 1, :n, :e, 'x', 'team_member', TRUE, :t)",
                    id=uid, n=f"Person {uid}", e=f"p{uid}@example.com", t=now)
            run("INSERT INTO project (id, organization_id, number, name, description, status, priority, "
                "task_seq, created_at, updated_at, version) VALUES (1, 1, 1, 'P', '', 'active', "
                "'medium', 3, :t, :t, 1)", t=now)
            for tid, assignee in ((1, 2), (2, None), (3, 1)):
                run("INSERT INTO task (id, organization_id, project_id, number, title, description, "
                    "assignee_id, priority, status, position, created_at, updated_at, version) VALUES "
                    "(:id, 1, 1, :id, 'T', '', :a, 'medium', 'todo', :id, :t, :t, 1)",
                    id=tid, a=assignee, t=now)
        upgrade(empty_database_url)
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT task_id, user_id, organization_id FROM task_assignee "
                                     "ORDER BY task_id")).all()
            columns = {c["name"] for c in inspect(conn).get_columns("task")}
            leftovers = set(inspect(conn).get_table_names()) - set(SQLModel.metadata.tables)
        assert [tuple(r) for r in rows] == [(1, 2, 1), (3, 1, 1)]
        assert "assignee_id" not in columns and leftovers == {"alembic_version"}
        assert _differences(empty_database_url) == []
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO task_assignee (task_id, user_id, organization_id) "
                              "VALUES (1, 1, 1)"))
        command.downgrade(cfg, "0004")
        with engine.connect() as conn:
            back = conn.execute(text("SELECT id, assignee_id FROM task ORDER BY id")).all()
            tables = set(inspect(conn).get_table_names())
        assert [tuple(r) for r in back] == [(1, 1), (2, None), (3, 1)]
        assert "task_assignee" not in tables and "_assignee_0005" not in tables
    finally:
        engine.dispose()
