"""The import job (kanvaro.imports.jobs): leases, chunks and resuming, acting as its starter
with their permissions now, a refused row rolling back alone, and 10,000 rows."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from kanvaro import background, uow
from kanvaro.imports import actions, jobs
from kanvaro.imports.forms import MappingChoice, Upload
from kanvaro.imports.models import ImportFingerprint, ImportJob
from kanvaro.models import AuditEntry, Task, User
from tests.imports.helpers import csv_bytes


def start(settings, engine, user, project, data: bytes, mapping: dict[str, str] | None = None) -> int:
    """Upload and queue an import as `user`, as the pages do; its id."""
    runtime, caller = jobs.Runtime(engine, settings), uow.Caller(jobs.Starter(user.id))
    job = uow.run(runtime, caller, lambda ctx: actions.upload_import(
        ctx, project.id, Upload("tasks.csv", io.BytesIO(data), len(data))))
    uow.run(runtime, caller, lambda ctx: actions.run_import(ctx, job.id, MappingChoice(mapping or {})))
    return int(job.id)


@pytest.fixture(autouse=True)
def whole_chunks(monkeypatch):
    """A chunk ends after CHUNK_SECONDS too: never here, where the row counts are the point."""
    monkeypatch.setattr(jobs, "CHUNK_SECONDS", 600.0)


def job_of(db, job_id: int) -> ImportJob:
    db.commit()
    return db.get(ImportJob, job_id, populate_existing=True)


def count(db, model, *where) -> int:
    db.commit()
    return db.scalar(select(func.count()).select_from(model).where(*where)) or 0


def rows(n: int, start: int = 0) -> list[list[str]]:
    return [[f"Row {i}"] for i in range(start, start + n)]


def test_the_loop_is_started_with_the_app_s_background_loops():
    assert jobs.run_loop in background.loops()


def test_a_job_moves_in_chunks_and_its_counts_commit_with_each(db, settings, engine, owner, project):
    job_id = start(settings, engine, owner, project, csv_bytes(["Title"], rows(7)))
    claimed = jobs.claim(engine, datetime.now(UTC))
    assert claimed == (job_id, owner.id)
    assert job_of(db, job_id).status == "running"
    parsed = job_of(db, job_id).rows
    runtime, caller = jobs.Runtime(engine, settings), uow.Caller(jobs.Starter(owner.id))
    assert uow.run(runtime, caller, lambda ctx: jobs.chunk(ctx, job_id, parsed, rows=3)) is False
    job = job_of(db, job_id)
    assert (job.done, job.created, job.status) == (3, 3, "running")
    assert count(db, Task) == 3
    assert uow.run(runtime, caller, lambda ctx: jobs.chunk(ctx, job_id, parsed, rows=3)) is False
    assert uow.run(runtime, caller, lambda ctx: jobs.chunk(ctx, job_id, parsed, rows=3)) is True
    job = job_of(db, job_id)
    assert (job.done, job.created, job.status) == (7, 7, "done") and job.finished_at is not None


def test_a_worker_that_died_leaves_the_job_to_the_next_once_its_lease_ran_out(db, settings, engine,
                                                                             owner, project):
    job_id = start(settings, engine, owner, project, csv_bytes(["Title"], rows(5)))
    now = datetime.now(UTC)
    assert jobs.claim(engine, now) is not None
    parsed = job_of(db, job_id).rows
    runtime, caller = jobs.Runtime(engine, settings), uow.Caller(jobs.Starter(owner.id))
    uow.run(runtime, caller, lambda ctx: jobs.chunk(ctx, job_id, parsed, rows=2))
    # ... and the worker dies here. While its lease holds, nobody else takes the job:
    assert jobs.run_once(settings, engine, now=now) == 0
    assert job_of(db, job_id).done == 2
    later = now + jobs.LEASE + timedelta(seconds=1)
    assert jobs.run_once(settings, engine, now=later) == 1
    job = job_of(db, job_id)
    assert (job.status, job.done, job.created, job.duplicates) == ("done", 5, 5, 0)
    assert sorted(db.scalars(select(Task.title))) == [f"Row {i}" for i in range(5)]


def test_a_chunk_that_fails_midway_leaves_nothing_and_the_rerun_imports_each_row_once(
        db, settings, engine, owner, project, monkeypatch):
    job_id = start(settings, engine, owner, project, csv_bytes(["Title"], rows(6)))
    real, calls = jobs.create_task, []

    def dying(ctx, project_id, sent):
        calls.append(1)
        if len(calls) == 4:
            raise RuntimeError("the worker died")
        return real(ctx, project_id, sent)

    monkeypatch.setattr(jobs, "create_task", dying)
    monkeypatch.setattr(jobs, "CHUNK_ROWS", 100)
    jobs.claim(engine, datetime.now(UTC))
    parsed = job_of(db, job_id).rows
    runtime, caller = jobs.Runtime(engine, settings), uow.Caller(jobs.Starter(owner.id))
    with pytest.raises(RuntimeError):
        uow.run(runtime, caller, lambda ctx: jobs.chunk(ctx, job_id, parsed))
    assert count(db, Task) == 0 and job_of(db, job_id).done == 0  # the chunk rolled back whole
    monkeypatch.setattr(jobs, "create_task", real)
    assert jobs.run_once(settings, engine, now=datetime.now(UTC) + jobs.LEASE * 2) == 1
    assert count(db, Task) == 6 and count(db, ImportFingerprint) == 6


def test_a_refused_row_rolls_back_alone_and_the_others_go_on(db, settings, engine, owner, project,
                                                            monkeypatch):
    job_id = start(settings, engine, owner, project,
                   csv_bytes(["Title", "Points"], [["One", "1"], ["Two", "-4"], ["Three", "3"]]))
    jobs.run_once(settings, engine)
    job = job_of(db, job_id)
    assert (job.created, job.refused_count) == (2, 1)
    assert job.refused == [{"row": 3, "reason": "Points: Use a whole number from 0 to 100."}]
    assert sorted(db.scalars(select(Task.title))) == ["One", "Three"]
    assert count(db, AuditEntry, AuditEntry.action == "task.created") == 2


def test_the_job_acts_with_its_starter_s_permissions_now(db, settings, engine, member, project):
    job_id = start(settings, engine, member, project, csv_bytes(["Title"], rows(3)))
    db.get(User, member.id).role = "viewer"  # no task:create any more
    db.commit()
    jobs.run_once(settings, engine)
    job = job_of(db, job_id)
    assert (job.status, job.created) == ("failed", 0) and job.error == jobs.GONE
    assert count(db, Task) == 0
    assert count(db, AuditEntry, AuditEntry.action == "import.finished") == 1


def test_a_deactivated_starter_stops_the_job(db, settings, engine, member, project):
    job_id = start(settings, engine, member, project, csv_bytes(["Title"], rows(3)))
    db.get(User, member.id).is_active = False
    db.commit()
    assert jobs.run_once(settings, engine) == 1
    job = job_of(db, job_id)
    assert (job.status, job.error) == ("failed", jobs.GONE) and count(db, Task) == 0


def test_assigning_without_task_assign_refuses_those_rows_only(db, settings, engine, org, owner, project):
    from kanvaro.models import CustomRole, ProjectMember
    role = CustomRole(organization_id=org.id, name="Adder", permissions=["task:create"])
    db.add(role)
    db.flush()
    from tests.factories import make_user
    adder = make_user(db, org, role="client", custom_role_id=role.id)
    db.add(ProjectMember(organization_id=org.id, project_id=project.id, user_id=adder.id))
    db.commit()
    job_id = start(settings, engine, adder, project,
                   csv_bytes(["Title", "Assignee"], [["Mine", ""], ["Theirs", owner.email]]))
    jobs.run_once(settings, engine)
    job = job_of(db, job_id)
    assert job.created == 1
    assert job.refused == [{"row": 3, "reason": "Not allowed: Assign tasks (task:assign)."}]


def test_an_import_makes_watchers_as_the_form_does_but_notifies_nobody(db, settings, engine, owner,
                                                                      member, project):
    from kanvaro.models import Notification, TaskWatcher
    from kanvaro.tasks.models import TaskAssignee
    job_id = start(settings, engine, owner, project, csv_bytes(
        ["Title", "Assignee", "Description"], [["Theirs", member.email, f"For @{member.handle}"]]))
    jobs.run_once(settings, engine)
    task = db.scalar(select(Task).where(Task.title == "Theirs"))
    assert list(db.scalars(select(TaskAssignee.user_id).where(TaskAssignee.task_id == task.id))) == [member.id]
    assert sorted(db.scalars(select(TaskWatcher.user_id).where(TaskWatcher.task_id == task.id))) == \
        sorted([owner.id, member.id])
    assert count(db, Notification) == 0
    assert job_of(db, job_id).created == 1


def test_a_file_of_many_chunks_comes_through_whole(db, settings, engine, owner, project, tmp_path, db_kind):
    """1,001 rows are six chunks (200 rows each, the last of one). The 10,000 rows of SPEC §13
    are the bench's (bench/imports.py times them and checks every row came through): here
    they cost three minutes of a worker for nothing more."""
    if db_kind == "postgres":
        pytest.skip("the SQLite pass covers it; the bench times PostgreSQL")
    rows = jobs.CHUNK_ROWS * 5 + 1
    path = tmp_path / "many.csv"
    path.write_bytes(csv_bytes(["Title", "Status", "Points"],
                               [[f"Task {n}", ["To do", "Doing", "Done"][n % 3], str(n % 5)]
                                for n in range(rows)]))
    job_id = start(settings, engine, owner, project, path.read_bytes())
    assert jobs.run_once(settings, engine) == 1
    job = job_of(db, job_id)
    assert (job.status, job.done, job.created, job.refused_count) == ("done", rows, rows, 0)
    assert count(db, Task, Task.project_id == project.id) == rows
    assert count(db, Task, Task.status == "completed") == 333
    assert sorted(db.scalars(select(Task.number))) == list(range(1, rows + 1))


def test_a_row_imported_meanwhile_rolls_back_to_its_savepoint_alone(db, settings, org, owner, project):
    """Another import of the same rows committed first (the unique fingerprint): this row's task,
    its audit entry and its event are undone, and the transaction goes on."""
    from kanvaro.imports.rows import Resolver
    from tests.factories import make_ctx
    from tests.imports.helpers import make_import

    job = make_import(db, org, project, owner, header=("Title",), rows=(("Twice",), ("Once",)))
    ctx = make_ctx(db, owner, settings)
    resolver = Resolver.load(ctx, project.id, job.mapping)
    twice, once = (resolver.input([t]) for t in ("Twice", "Once"))
    assert jobs._row(ctx, job, twice, set()) is None
    assert jobs._row(ctx, job, twice, set()) == "dup"  # its fingerprint unseen by this chunk
    assert jobs._row(ctx, job, once, set()) is None
    db.commit()
    assert sorted(db.scalars(select(Task.title))) == ["Once", "Twice"]
    assert [e.action for e in ctx.events] == ["task.created", "task.created"]
    assert count(db, AuditEntry, AuditEntry.action == "task.created") == 2
