"""`kanvaro backup` while the app takes writes, `kanvaro restore` into an empty place.

Runs on the database the suite runs on: SQLite's online backup API with --db=sqlite,
pg_dump/pg_restore against a real PostgreSQL with --db=postgres.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, inspect, select
from sqlmodel import SQLModel

from kanvaro import cli
from kanvaro.db import make_engine
from kanvaro.models import AuditEntry, OrgRevision, Task
from kanvaro.settings import Settings
from tests.factories import Browser, make_project

ROOT = Path(__file__).resolve().parent.parent
STATUSES = ["todo", "in-progress", "review", "testing", "completed"]
Dump = dict[str, list[tuple[Any, ...]]]


def kanvaro(command: str, file: Path, *, database_url: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """The real command line, in its own process, as an operator runs it."""
    env = {**os.environ, "KANVARO_DATABASE_URL": database_url, "KANVARO_DATA_DIR": str(data_dir),
           "KANVARO_SECRET_KEY": "test-secret-key"}
    return subprocess.run([sys.executable, "-m", "kanvaro.cli", command, str(file)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120, check=False)


def kanvaro_here(command: str, file: Path, *, database_url: str, data_dir: Path,
                 monkeypatch: Any, capsys: Any) -> tuple[int, str]:
    """The same command line, called in this process: (exit code, stderr)."""
    monkeypatch.setenv("KANVARO_DATABASE_URL", database_url)
    monkeypatch.setenv("KANVARO_DATA_DIR", str(data_dir))
    capsys.readouterr()
    code = cli.main([command, str(file)])
    return code, capsys.readouterr().err


def dump(engine: Engine) -> Dump:
    """Every row of every table, ordered by primary key."""
    out: Dump = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            out[table.name] = [tuple(row) for row in rows]
    return out


def restore_target(db_kind: str, pg_server: Any, tmp_path: Path) -> tuple[str, Path]:
    """A database URL and data directory that are empty."""
    data_dir = tmp_path / f"restored-{uuid.uuid4().hex[:6]}"
    if db_kind == "postgres":
        return pg_server.create_database(f"restored_{uuid.uuid4().hex[:8]}"), data_dir
    return f"sqlite:///{data_dir / 'kanvaro.db'}", data_dir


class Writer(threading.Thread):
    """Creates tasks and changes their status over HTTP; dumps the database after each ack."""

    def __init__(self, browser: Browser, project_id: int, engine: Engine) -> None:
        super().__init__(daemon=True)
        self.browser, self.project_id, self.engine = browser, project_id, engine
        self.snapshots: list[Dump] = [dump(engine)]
        self.stop = threading.Event()
        self.failure: BaseException | None = None

    def acked(self) -> int:
        return len(self.snapshots) - 1

    def run(self) -> None:
        try:
            n = 0
            while not self.stop.is_set():
                n += 1
                r = self.browser.post(f"/projects/{self.project_id}/tasks", {"title": f"Backup task {n}"})
                assert r.status_code == 303, r.text
                self.snapshots.append(dump(self.engine))
                with self.engine.connect() as conn:
                    task_id, status = conn.execute(
                        select(Task.id, Task.status).order_by(Task.id).offset(n // 2).limit(1)).one()
                new = STATUSES[(STATUSES.index(status) + 1) % len(STATUSES)]
                r = self.browser.post(f"/tasks/{task_id}/status", {"status": new})
                assert r.status_code == 303, r.text
                self.snapshots.append(dump(self.engine))
        except Exception as exc:  # noqa: BLE001 - reported by the test
            self.failure = exc

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.acked() < count:
            assert self.failure is None, self.failure
            assert time.monotonic() < deadline, "the writer is stuck"
            time.sleep(0.02)


def test_backup_during_writes_restores_a_consistent_copy(
    browser: Browser, settings: Settings, db: Any, org: Any, owner: Any, db_kind: str,
    pg_server: Any, tmp_path: Path,
) -> None:
    project = make_project(db, org, creator=owner)
    db.commit()
    browser.login_as(owner)
    writer = Writer(browser, project.id, make_engine(settings.database_url))
    writer.start()
    try:
        writer.wait_for(10)
        file = tmp_path / "kanvaro.backup"
        made = kanvaro("backup", file, database_url=settings.database_url, data_dir=settings.data_dir)
        assert made.returncode == 0, made.stderr
        after_backup = writer.acked()
        writer.wait_for(after_backup + 10)  # writes go on after the copy
    finally:
        writer.stop.set()
        writer.join(30)
    assert writer.failure is None, writer.failure
    assert file.read_bytes()[:5] == (b"PGDMP" if db_kind == "postgres" else b"SQLit")

    url, data_dir = restore_target(db_kind, pg_server, tmp_path)
    done = kanvaro("restore", file, database_url=url, data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    engine = make_engine(url)
    try:
        assert set(SQLModel.metadata.tables) <= set(inspect(engine).get_table_names())
        restored = dump(engine)
        with engine.connect() as conn:
            tasks = set(conn.scalars(select(Task.id)))
            created = set(conn.scalars(select(AuditEntry.entity_id).where(AuditEntry.action == "task.created")))
            audit_count = conn.scalar(select(func.count()).select_from(AuditEntry))
            revision = conn.scalar(select(func.sum(OrgRevision.value)).where(
                OrgRevision.organization_id == org.id))
    finally:
        engine.dispose()

    # Row for row the source as of one acknowledged write: taken during the writes, not
    # before them nor after them, and nothing half-written.
    matches = [i for i, snap in enumerate(writer.snapshots) if snap == restored]
    assert matches, "the restored copy is not the source as of any single moment"
    assert 10 <= matches[0] <= after_backup
    assert restored["task"] and restored["audit_entry"] and restored["users"]
    assert tasks == created  # every task has its audit entry, every entry its task
    assert revision == audit_count
    assert len(writer.snapshots[-1]["task"]) > len(restored["task"])


def test_restored_copy_serves_the_app(browser: Browser, settings: Settings, db: Any,
                                             org: Any, owner: Any, db_kind: str, pg_server: Any,
                                             tmp_path: Path) -> None:
    """The restored database is the app's database: the project shows up after a restore."""
    project = make_project(db, org, creator=owner, name="Restored Rocket")
    db.commit()
    file = tmp_path / "copy.backup"
    assert kanvaro("backup", file, database_url=settings.database_url,
                   data_dir=settings.data_dir).returncode == 0
    url, data_dir = restore_target(db_kind, pg_server, tmp_path)
    assert kanvaro("restore", file, database_url=url, data_dir=data_dir).returncode == 0

    from starlette.testclient import TestClient

    from kanvaro.app import create_app

    app = create_app(Settings(data_dir=data_dir, database_url=url, secret_key="test-secret-key",
                              run_mail_sender=False))
    with TestClient(app) as client:
        restored = Browser(client, app.state.kanvaro.settings, app.state.kanvaro.engine)
        restored.login_as(owner)
        page = restored.get(f"/projects/{project.id}")
        assert page.status_code == 200
        assert "Restored Rocket" in page.text
    app.state.kanvaro.engine.dispose()


def test_restore_refuses_a_database_that_has_tables(
    settings: Settings, db: Any, org: Any, owner: Any, tmp_path: Path, monkeypatch: Any, capsys: Any,
) -> None:
    make_project(db, org, creator=owner, name="Keep me")
    db.commit()
    where = {"database_url": settings.database_url, "data_dir": settings.data_dir,
             "monkeypatch": monkeypatch, "capsys": capsys}
    file = tmp_path / "copy.backup"
    assert kanvaro_here("backup", file, **where)[0] == 0
    before = dump(make_engine(settings.database_url))
    code, err = kanvaro_here("restore", file, **where)
    assert code == 1
    assert "not empty" in err or "already has" in err
    assert dump(make_engine(settings.database_url)) == before


def test_restore_refuses_a_non_empty_target(
    settings: Settings, db_kind: str, pg_server: Any, tmp_path: Path, org: Any, monkeypatch: Any,
    capsys: Any,
) -> None:
    """SQLite: a data directory with anything in it. PostgreSQL: a database with any table."""
    file = tmp_path / "copy.backup"
    assert kanvaro_here("backup", file, database_url=settings.database_url,
                        data_dir=settings.data_dir, monkeypatch=monkeypatch, capsys=capsys)[0] == 0
    url, data_dir = restore_target(db_kind, pg_server, tmp_path)
    if db_kind == "postgres":
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE notes (body text)")
        engine.dispose()
    else:
        data_dir.mkdir()
        (data_dir / "something.txt").write_text("mine")
    code, err = kanvaro_here("restore", file, database_url=url, data_dir=data_dir,
                             monkeypatch=monkeypatch, capsys=capsys)
    assert code == 1 and ("not empty" in err or "already has 1 table" in err), err
    engine = make_engine(url)
    assert inspect(engine).get_table_names() == (["notes"] if db_kind == "postgres" else [])
    engine.dispose()


def test_backup_refuses_to_overwrite_and_restore_refuses_other_files(
    settings: Settings, tmp_path: Path, org: Any, monkeypatch: Any, capsys: Any,
) -> None:
    file = tmp_path / "copy.backup"
    file.write_text("an older backup")
    code, err = kanvaro_here("backup", file, database_url=settings.database_url,
                             data_dir=settings.data_dir, monkeypatch=monkeypatch, capsys=capsys)
    assert code == 1 and "exists" in err
    assert file.read_text() == "an older backup"
    empty = tmp_path / "empty"
    code, err = kanvaro_here("restore", file, database_url=f"sqlite:///{empty / 'kanvaro.db'}",
                             data_dir=empty, monkeypatch=monkeypatch, capsys=capsys)
    assert code == 1 and "neither" in err


def test_attachments_and_their_blobs_are_carried_through_a_backup(
    browser: Browser, settings: Settings, db: Any, org: Any, owner: Any, db_kind: str,
    pg_server: Any, tmp_path: Path,
) -> None:
    """The bytes live in the database (SPEC §8): a restored copy serves the same file."""
    from starlette.testclient import TestClient

    from kanvaro.app import create_app
    from kanvaro.attachments.models import Attachment, Blob

    project = make_project(db, org, creator=owner)
    project.task_seq = 1
    task = Task(organization_id=org.id, project_id=project.id, number=1, title="Ship", position=1)
    db.add(task)
    db.commit()
    content = bytes(range(256)) * 400  # binary, 100 kB: every byte value, past any text path
    browser.login_as(owner)
    for name in ("one.bin", "same bytes.bin"):
        r = browser.post(f"/tasks/{task.id}/attachments", {"file": (name, content, "application/x-thing")})
        assert r.status_code == 303, r.text[-500:]
    file = tmp_path / "with-files.backup"
    assert kanvaro("backup", file, database_url=settings.database_url,
                   data_dir=settings.data_dir).returncode == 0
    url, data_dir = restore_target(db_kind, pg_server, tmp_path)
    done = kanvaro("restore", file, database_url=url, data_dir=data_dir)
    assert done.returncode == 0, done.stderr

    engine = make_engine(url)
    try:
        restored = dump(engine)
        assert restored["attachment"] == dump(make_engine(settings.database_url))["attachment"]
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(Blob)) == 1
            ids = list(conn.scalars(select(Attachment.id).order_by(Attachment.id)))
    finally:
        engine.dispose()
    app = create_app(Settings(data_dir=data_dir, database_url=url, secret_key="test-secret-key",
                              run_mail_sender=False))
    with TestClient(app) as client:
        there = Browser(client, app.state.kanvaro.settings, app.state.kanvaro.engine).login_as(owner)
        for attachment_id in ids:
            got = there.get(f"/attachments/{attachment_id}")
            assert got.status_code == 200 and got.content == content
    app.state.kanvaro.engine.dispose()
