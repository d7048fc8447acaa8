"""Lost updates (issue 6, suite 6).

Two edits made from the same version: exactly one wins, the other answers 409 and changes
nothing. On PostgreSQL the two run at the same moment from two threads (rows are locked for
the version check); on SQLite writes are serialised by BEGIN IMMEDIATE, so they run one
after the other.

Then status changes from 8 clients against `kanvaro serve --workers 2` (a real server with two
worker processes, on a temporary SQLite data directory or on PostgreSQL with --db=postgres):
every acknowledged change has exactly one audit entry, the audit entries form one unbroken
chain (each "before" is the previous "after"), and the final state is the chain's last.
"""

from __future__ import annotations

import itertools
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from kanvaro.db import make_engine
from kanvaro.enums import TASK_STATUSES
from kanvaro.models import AuditEntry, Project, Story, Task, UserSession
from kanvaro.security import (
    SESSION_COOKIE,
    CookieSigner,
    mask_csrf,
    new_csrf_secret,
    new_token,
    token_hash,
)
from tests.factories import Browser, make_org, make_project, make_user, now
from tests.pg import free_port

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 8
CHANGES_PER_CLIENT = 12


@pytest.fixture
def board(db, owner, org):  # type: ignore[no-untyped-def]
    project = make_project(db, org, members=[owner], creator=owner, name="Race")
    story = Story(organization_id=org.id, project_id=project.id, title="Story")
    db.add(story)
    db.flush()
    project.task_seq = 1
    task = Task(organization_id=org.id, project_id=project.id, number=1, title="Task", position=1)
    db.add(task)
    db.commit()
    return {"project": project.id, "story": story.id, "task": task.id}


STATUS_OF = {"first": "review", "second": "testing"}
# (name, url, body for "first"/"second", model, board key, what shows the winner, audit entity)
EDITS: list[tuple[str, str, Callable[[str], dict[str, str]], Any, str, Callable[[Any], str], str]] = [
    ("task", "/tasks/{task}", lambda who: {"title": who, "version": "1", "status": "todo"},
     Task, "task", lambda row: row.title, "task"),
    ("project", "/projects/{project}", lambda who: {"name": who, "version": "1"},
     Project, "project", lambda row: row.name, "project"),
    ("story", "/stories/{story}", lambda who: {"title": who, "version": "1"},
     Story, "story", lambda row: row.title, "story"),
    ("status", "/tasks/{task}/status", lambda who: {"status": STATUS_OF[who], "version": "1"},
     Task, "task", lambda row: {v: k for k, v in STATUS_OF.items()}.get(row.status, row.status), "task"),
]


def _browsers(app: Any, settings: Any, engine: Any, owner: Any, n: int) -> list[tuple[TestClient, Browser]]:
    out = []
    for _ in range(n):
        client = TestClient(app)
        client.__enter__()
        out.append((client, Browser(client, settings, engine).login_as(owner)))
    return out


@pytest.mark.parametrize("edit", EDITS, ids=[e[0] for e in EDITS])
def test_two_edits_from_the_same_version_one_wins_the_other_gets_409(
        app, settings, engine, db, owner, board, db_kind, edit):
    name, url_pattern, body, model, key, shown, entity = edit
    url = url_pattern.format(**board)
    rounds = 3 if db_kind == "postgres" else 1
    for round_no in range(rounds):
        if round_no:  # back to version 1 for the next round
            db.rollback()
            row = db.get(model, board[key])
            row.version = 1  # and the original values, so neither edit is a no-op
            if model is Project:
                row.name = "Race"
            else:
                row.title = "original"
            if model is Task:
                row.status, row.completed_at = "todo", None
            db.commit()
        pairs = _browsers(app, settings, engine, owner, 2)
        results: dict[str, Any] = {}
        try:
            if db_kind == "postgres":  # truly at the same moment
                gate = threading.Barrier(2)

                def send(who: str, b: Browser, gate: threading.Barrier = gate,
                         results: dict[str, Any] = results) -> None:
                    gate.wait()
                    results[who] = b.post(url, body(who))

                threads = [threading.Thread(target=send, args=(who, b))
                           for who, (_, b) in zip(("first", "second"), pairs)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join(30)
            else:
                results["first"] = pairs[0][1].post(url, body("first"))
                results["second"] = pairs[1][1].post(url, body("second"))
        finally:
            for client, _ in pairs:
                client.__exit__(None, None, None)
        codes = sorted(r.status_code for r in results.values())
        assert codes == [303, 409], (name, round_no, codes)
        winner = next(who for who, r in results.items() if r.status_code == 303)
        loser = next(r for r in results.values() if r.status_code == 409)
        db.rollback()
        row = db.get(model, board[key])
        assert row.version == 2 and shown(row) == winner
        audits = db.scalars(select(AuditEntry).where(AuditEntry.entity_type == entity,
                                                     AuditEntry.entity_id == board[key])).all()
        assert [a.request_id for a in audits].count(results[winner].headers["x-request-id"]) == 1
        assert loser.headers["x-request-id"] not in [a.request_id for a in audits]


# --- 8 clients, 2 worker processes ----------------------------------------------------

def _wait_ready(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"kanvaro serve exited with {proc.returncode}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("kanvaro serve did not become ready")


@pytest.fixture
def served(tmp_path, pg_server, db_kind):  # type: ignore[no-untyped-def]
    """`kanvaro serve --workers 2` on a fresh database; yields (url, database url, secret key)."""
    data = tmp_path / "served"
    key = "served-secret-key"
    env = {**os.environ, "KANVARO_DATA_DIR": str(data), "KANVARO_SECRET_KEY": key,
           "KANVARO_OUTBOX_DIR": str(data / "outbox"), "KANVARO_LOG_LEVEL": "warning"}
    if db_kind == "postgres":
        name = f"workers_{os.getpid()}_{int(time.time() * 1000) % 10**8}"
        env["KANVARO_DATABASE_URL"] = pg_server.create_database(name)
    else:
        env.pop("KANVARO_DATABASE_URL", None)
    db_url = env.get("KANVARO_DATABASE_URL") or f"sqlite:///{(data / 'kanvaro.db').as_posix()}"
    port = free_port()
    proc = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "kanvaro"), "serve", "--workers", "2", "--port", str(port),
         "--no-access-log"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, proc)
        yield url, db_url, key
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        output = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
        assert "Traceback" not in output, output[-3000:]


def test_concurrent_status_changes_on_two_workers_keep_one_audit_entry_each(served):
    url, db_url, key = served
    engine = make_engine(db_url)
    try:
        with Session(engine, expire_on_commit=False) as db:
            org = make_org(db, "Race Inc")
            owner = make_user(db, org, role="owner")
            project = make_project(db, org, members=[owner], creator=owner)
            project.task_seq = 1
            task = Task(organization_id=org.id, project_id=project.id, number=1, title="Hot", position=1)
            db.add(task)
            cookies = []
            for _ in range(CLIENTS):
                token, csrf = new_token(), new_csrf_secret()
                db.add(UserSession(user_id=owner.id, token_hash=token_hash(token), created_at=now(),
                                   last_seen_at=now()))
                cookies.append((CookieSigner(key).dumps({"s": token, "c": csrf}), csrf))
            db.commit()
            task_id = task.id

        acknowledged: list[tuple[str, str]] = []  # (request id, status asked for)
        failures: list[str] = []
        lock = threading.Lock()
        gate = threading.Barrier(CLIENTS)

        def client(n: int) -> None:
            cookie, csrf = cookies[n]
            rng = random.Random(n)
            with httpx.Client(base_url=url, cookies={SESSION_COOKIE: cookie}, timeout=30) as http:
                gate.wait()
                for _ in range(CHANGES_PER_CLIENT):
                    status = rng.choice(list(TASK_STATUSES))
                    r = http.post(f"/tasks/{task_id}/status",
                                  data={"status": status, "csrf_token": mask_csrf(csrf)})
                    with lock:
                        if r.status_code == 303:
                            acknowledged.append((r.headers["x-request-id"], status))
                        else:
                            failures.append(f"{r.status_code} {r.text[:200]}")

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert failures == []
        assert len(acknowledged) == CLIENTS * CHANGES_PER_CLIENT

        with Session(engine) as db:
            entries = db.scalars(select(AuditEntry).where(AuditEntry.action == "task.status_changed")
                                 .order_by(AuditEntry.id)).all()
            final = db.get(Task, task_id)
            assert final is not None
        asked = dict(acknowledged)
        by_request: dict[str, int] = {}
        for entry in entries:
            by_request[entry.request_id] = by_request.get(entry.request_id, 0) + 1
            assert entry.request_id in asked, "an audit entry for a request nobody acknowledged"
            assert entry.changes["status"][1] == asked[entry.request_id]
        assert all(n == 1 for n in by_request.values()), "a change audited twice"
        # A change not audited was a no-op: the task already had the status asked for.
        chain = [("todo", "todo")] + [tuple(e.changes["status"]) for e in entries]
        for previous, current in itertools.pairwise(chain):
            assert current[0] == previous[1] and current[0] != current[1], (previous, current)
        assert final.status == chain[-1][1]
        assert final.version == 1 + len(entries)
        assert (final.completed_at is not None) is (final.status == "completed")
        assert len(entries) > CLIENTS  # the run really changed the status many times
        print(f"\nworkers: {len(acknowledged)} acknowledged status changes, {len(entries)} audited "
              f"changes, {len(acknowledged) - len(entries)} no-ops")
    finally:
        engine.dispose()


def test_the_served_app_answers_on_both_workers(served):
    """Both processes are up: many connections are spread over them (pids differ in the log)."""
    url, _, _ = served
    assert all(httpx.get(url + "/healthz", timeout=5).text == "ok" for _ in range(4))


if sys.platform == "win32":  # pragma: no cover
    pytest.skip("process groups", allow_module_level=True)
